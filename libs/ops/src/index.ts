// Operations endpoints both apps mount: health probes and metrics. They look into every layer (store, read models,
// jobs), so they sit above libs/http, which stays below the slices (docs/ARCHITECTURE.md, ADR 0013).
export * from './health.controller';
export * from './metrics/metrics.module';
