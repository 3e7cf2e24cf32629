import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** True when a Docker engine answers here (testcontainers can start containers). */
export function dockerAnswers(): boolean {
  const hasSocket = existsSync('/var/run/docker.sock') || Boolean(process.env['DOCKER_HOST']);
  if (!hasSocket) return false;
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return info.status === 0 && info.stdout.trim().length > 0;
}
