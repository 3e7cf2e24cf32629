/**
 * `npm run keys:rewrap`: KEK rotation (#24.3, ADR 0008). Add a new last line to PERSONAL_DATA_KEK_FILE
 * (`<id> $(openssl rand -hex 32)`), restart the services (new keys are wrapped under it), run this: every stored
 * personal-data key wrapped under an older KEK (or stored raw by a build before #24.3) is wrapped under the newest.
 * Then delete the older lines: every copy of a key they wrapped (an erased person's, in an old backup or WAL
 * segment) can no longer be opened. Run it while the services run; an erasure meanwhile wins.
 */
import { loadConfigOrExit, openSharedState, rewrapKeys } from '@recert/kernel';

async function main(): Promise<void> {
  const config = loadConfigOrExit('keys:rewrap');
  const state = await openSharedState(config.sharedStateUrl, undefined, config.postgres);
  try {
    const { rewrapped, alreadyCurrent } = await rewrapKeys(state.keys, config.personalDataKeks);
    process.stdout.write(
      `${rewrapped} personal-data keys wrapped under KEK "${config.personalDataKeks.currentId}", ${alreadyCurrent} already were (${state.description}); older KEKs now wrap no live key and can be destroyed\n`,
    );
  } finally {
    await state.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`keys:rewrap: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
