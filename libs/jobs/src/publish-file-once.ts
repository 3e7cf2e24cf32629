import { linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Publishes `body` as `dir/name` at most once: written beside under a private name, then hard-linked into place,
 * which fails if the name exists. So two dispatchers (or a retry after a crash) can never write one message twice,
 * and a reader never sees half a file. True when this call published it, false when it was there already.
 */
export function publishFileOnce(dir: string, name: string, body: string | Buffer): boolean {
  const temp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(temp, body, { flag: 'wx' });
  try {
    linkSync(temp, join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}
