export * from './event-store.port';
export * from './errors';
export * from './sqlite/sqlite-event-store';
export * from './esdb/esdb-event-store';
export { parseStreamName, streamName } from '@recert/kernel/pure';
export * from './postgres/postgres-event-store';
export * from './eventstore.module';
export * from './upcasting-event-store';
export * from './rewound-log';
