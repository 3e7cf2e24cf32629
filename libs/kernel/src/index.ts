export * from './clock';
export * from './config';
export * from './duration';
export * from './ids';
