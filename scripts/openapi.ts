/**
 * `npm run openapi [-- --out FILE]`: writes the OpenAPI document the api serves at /docs/openapi.json, without
 * listening: the app is created in-process on a throw-away DATA_DIR (embedded store, manual clock, no timers), its
 * document taken and the app closed. `npm run lint` runs Redocly's recommended rules on it (R74).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '@recert/kernel';
import { createApp, openApiDocument } from '../apps/api/src/app.factory';

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-openapi-'));
  try {
    const config = loadConfig({
      DATA_DIR: dataDir,
      CLOCK: 'manual',
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      AUTH_JWT_SECRET: 'openapi-document-only-never-serves-a-request',
      PUBLIC_BASE_URL: process.env['PUBLIC_BASE_URL'] ?? 'https://recert.example.org',
    });
    const app = await createApp({ config, logger: false });
    const document = JSON.stringify(openApiDocument(app, config), null, 2);
    await app.close();
    if (out) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${document}\n`);
    } else process.stdout.write(`${document}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
