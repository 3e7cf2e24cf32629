export * from './error-status';
export * from './problem.filter';
export * from './clock.controller';
