import { BeforeApplicationShutdown, INestApplication, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { APP_CONFIG, AppConfig } from '../config';

/**
 * The first step of a graceful stop (SIGTERM): readiness turns 503, the server accepts no new connection,
 * requests in flight finish (their answers say `Connection: close`, so no client reuses a closing socket) for
 * at most SHUTDOWN_TIMEOUT_MS. Only then do the shutdown hooks stop timers, projections, leases and the store,
 * so nothing a request still needs is closed under it.
 */
@Injectable()
export class GracefulShutdown implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly inFlight = new Set<ServerResponse>();
  /** Open connections: how many answers each has given, and how many requests it has in progress. */
  private readonly connections = new Map<Socket, { served: number; active: number }>();
  /** True once a stop has begun: /health/ready answers 503 so traffic goes elsewhere. */
  draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'shutdownTimeoutMs'>,
  ) {}

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }

  onApplicationBootstrap(): void {
    const server = this.server();
    server?.prependListener('connection', (socket: Socket) => {
      this.connections.set(socket, { served: 0, active: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    server?.prependListener('request', (_request, response: ServerResponse) => {
      if (this.draining) response.setHeader('Connection', 'close');
      this.inFlight.add(response);
      const connection = this.connections.get(response.socket as Socket);
      if (connection) connection.active += 1;
      response.on('close', () => {
        this.inFlight.delete(response);
        if (connection) {
          connection.active -= 1;
          connection.served += 1;
        }
      });
    });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    const server = this.server();
    if (!server?.listening) return;
    for (const response of this.inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    const timeoutMs = this.config.shutdownTimeoutMs;
    this.logger.log(`${signal ?? 'stop'}: accepting no new connections; ${this.inFlight.size} request(s) in flight`);
    const closed = new Promise<'drained'>((resolve) => server.close(() => resolve('drained')));
    // Keep-alive sockets become idle once their answer is out: close them as they do, so close() can complete. Not
    // server.closeIdleConnections(): it also resets connections accepted a moment ago whose request is still being
    // read, and their clients would get a reset for a request the server had taken in. Those get their answer.
    const closeIdle = (): void => {
      for (const [socket, connection] of this.connections) if (connection.served > 0 && connection.active === 0) socket.destroy();
    };
    closeIdle();
    const sweep = setInterval(closeIdle, 50);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closed,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearInterval(sweep);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(`requests still running after SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): closing their connections`);
      server.closeAllConnections();
    }
  }
}

/**
 * For entry points: SIGTERM and SIGINT close the app (GracefulShutdown drains HTTP first, then every module's
 * shutdown hook runs) and the process exits 0. A watchdog exits 1 should the hooks themselves hang.
 */
export function enableGracefulShutdown(app: INestApplication, config: Pick<AppConfig, 'shutdownTimeoutMs'>): void {
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        new Logger('Shutdown').error(`still stopping ${config.shutdownTimeoutMs + 5000} ms after ${signal}: exiting anyway`);
        process.exit(1);
      }, config.shutdownTimeoutMs + 5000).unref();
    });
  }
}
