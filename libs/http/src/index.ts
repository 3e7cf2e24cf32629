export * from './problem.filter';
export * from './health.controller';
