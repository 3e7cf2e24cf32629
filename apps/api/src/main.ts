import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { enableGracefulShutdown, loadConfigOrExit } from '@recert/kernel';
import { createApp } from './app.factory';
import { readyMessage } from './ready-message';
import { cpuProfileOnSignal } from './bench/cpu-profile-on-signal';

async function main(): Promise<void> {
  const config = loadConfigOrExit('recert');
  cpuProfileOnSignal(process.env['BENCH_PROFILE_DIR']);
  const app = await createApp({ config });
  enableGracefulShutdown(app, config);
  await app.listen(config.port);
  new Logger('recert').log(readyMessage(`http://localhost:${config.port}`, config.jwtSecretIsDevelopment));
}

void main();
