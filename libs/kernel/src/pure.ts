/**
 * The pure kernel: what the domain may import. No Nest, no rxjs, no I/O: loading this entry (`@recert/kernel/pure`)
 * loads only these files. The `@recert/kernel` barrel adds configuration, Nest modules and HTTP pieces on top.
 */
export * from './clock';
export * from './duration';
export * from './ids';
export * from './events';
export * from './streams';
export * from './text';
