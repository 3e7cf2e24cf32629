// The holding aggregate: events, state, rules, one file per use case, and the decider that switches between them.
export * from './events';
export * from './state';
export * from './rules';
export * from './earn';
export * from './attempt';
export * from './window';
export * from './standing';
export * from './verification';
export * from './override';
export * from './merge';
export * from './import';
export * from './decide';
