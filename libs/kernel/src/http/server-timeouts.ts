import type { Server } from 'node:http';
import type { AppConfig } from '../config';

/**
 * Deadlines on the Node HTTP server (#16.16), so a client that sends its headers or body slowly, or announces a
 * Content-Length it never sends, cannot hold a socket: past them Node answers 408 and closes the connection.
 * Call before listen: Node starts checking connections when the server starts listening.
 */
export function applyServerTimeouts(
  server: Server,
  config: Pick<AppConfig, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'>,
): void {
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.requestTimeout = config.httpRequestTimeoutMs;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  // Node enforces both deadlines from a periodic sweep (30 s by default, fixed when listening starts): sweep often
  // enough that a deadline is kept to within half of itself. Assignable: the server reads it only in listen().
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    50,
    Math.min(30_000, Math.floor(Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs) / 2)),
  );
}
