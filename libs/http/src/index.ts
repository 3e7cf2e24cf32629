export * from './error-status';
export * from './problem.filter';
export * from './health.controller';
export * from './clock.controller';
export * from './metrics/metrics.module';
