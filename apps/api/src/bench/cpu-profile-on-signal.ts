import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Bench only (BENCH_PROFILE_DIR): SIGUSR2 starts a V8 CPU profile, the next SIGUSR2 writes it to the directory.
 * `--cpu-prof` would profile the whole life of the process (start, catch-up, every phase); the bench wants one phase.
 */
export function cpuProfileOnSignal(dir: string | undefined): void {
  if (!dir) return;
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `api-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
