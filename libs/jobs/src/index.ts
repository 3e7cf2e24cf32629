export * from './jobs.module';
export * from './scheduler/scheduler';
export * from './notifications/notification-dispatcher';
export * from './notifications/notification-sender';
export * from './notifications/smtp-notification-sender';
