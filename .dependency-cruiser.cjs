/**
 * The layers and the rules between them (docs/ARCHITECTURE.md, docs/adr/0005): run by `npm run lint`.
 * Paths are relative to the repository root. Spec files may do I/O, so the domain's purity rules skip them.
 */
const SPECS = '\\.spec\\.ts$|/testing/';
const LIBS = ['domain', 'eventstore', 'renewals', 'http', 'jobs', 'ops'];

module.exports = {
  forbidden: [
    {
      name: 'domain-no-nest',
      severity: 'error',
      comment: 'The domain is plain TypeScript: no Nest, no rxjs, no token library.',
      from: { path: '^libs/domain/', pathNot: SPECS },
      to: { path: 'node_modules/(@nestjs/|rxjs/|jose/|class-validator/|class-transformer/)' },
    },
    {
      name: 'domain-no-adapter',
      severity: 'error',
      comment: 'The domain knows no store: no event-store lib, no database or event-store client.',
      from: { path: '^libs/domain/', pathNot: SPECS },
      to: { path: '^libs/eventstore/|node_modules/(better-sqlite3|pg|@eventstore)/' },
    },
    {
      name: 'domain-no-io',
      severity: 'error',
      comment: 'The domain does no I/O: files, network, processes and threads belong to the layers around it.',
      from: { path: '^libs/domain/', pathNot: SPECS },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|child_process|cluster|worker_threads|readline|os)$',
      },
    },
    {
      name: 'domain-only-pure-kernel',
      severity: 'error',
      comment: 'The domain imports the pure kernel entry (@recert/kernel/pure) and nothing above itself.',
      from: { path: '^libs/domain/' },
      to: {
        path: '^(libs/(kernel|renewals|http|jobs)/|projections/|apps/)',
        pathNot: '^libs/kernel/src/(pure|clock|duration|ids|events|streams)\\.ts$',
      },
    },
    {
      name: 'runtime-no-read-model',
      severity: 'error',
      comment: 'The projection runtime runs any projection; it imports none of the read models.',
      from: { path: '^projections/runtime/', pathNot: SPECS },
      to: { path: '^projections/', pathNot: '^projections/runtime/' },
    },
    {
      name: 'apps-not-each-other',
      severity: 'error',
      comment: 'An app is a composition root: what two apps share lives in a lib.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    ...LIBS.map((lib) => ({
      name: `no-deep-import-${lib}`,
      severity: 'error',
      comment: `Outside libs/${lib}, import @recert/${lib} (its index), never a file past it.`,
      // The one exception: the dashboard's view types are compiled by the browser bundle too, whose tsconfig has no
      // path aliases and must not load the whole domain, so they import the error codes' file itself (types only).
      from: { pathNot: `^libs/${lib}/|^projections/dashboard/dashboard\\.view\\.ts$` },
      // A lib's test doubles (src/**/testing/) are for specs anywhere, and are not shipped in its index.
      to: { path: `^libs/${lib}/src/`, pathNot: `^libs/${lib}/src/index\\.ts$|/testing/` },
    })),
    {
      name: 'no-deep-import-kernel',
      severity: 'error',
      comment: 'Outside libs/kernel, import @recert/kernel or @recert/kernel/pure, never a file past them.',
      from: { pathNot: '^libs/kernel/' },
      to: { path: '^libs/kernel/src/', pathNot: '^libs/kernel/src/(index|pure)\\.ts$' },
    },
    {
      name: 'no-deep-import-projections',
      severity: 'error',
      comment: 'Outside projections/, import @recert/projections (its index), never a file past it.',
      from: { pathNot: '^projections/' },
      to: { path: '^projections/', pathNot: '^projections/index\\.ts$' },
    },
    // The layers above the domain (docs/ARCHITECTURE.md, ADR 0013): apps -> ops -> http, jobs, projections -> renewals
    // -> domain -> kernel; the store (libs/eventstore) sits beside the domain and knows none of it.
    ...[
      [
        'eventstore-no-domain',
        'libs/eventstore',
        '(libs/(domain|renewals|http|jobs|ops)|projections|apps)',
        'The store knows no domain: the app passes the upcaster in (EventStoreModule.withUpcaster).',
      ],
      [
        'renewals-below-readers',
        'libs/renewals',
        '(libs/(http|jobs|ops)|projections|apps)',
        'The write slices import no read model, job, HTTP plumbing or app.',
      ],
      ['projections-below-jobs', 'projections', '(libs/(http|jobs|ops)|apps)', 'Read models import no job, HTTP plumbing or app.'],
      ['jobs-below-ops', 'libs/jobs', '(libs/(http|ops)|apps)', 'Jobs import no HTTP plumbing, operations endpoints or app.'],
      [
        'http-below-slices',
        'libs/http',
        '(libs/(renewals|jobs|ops)|projections|apps)',
        'libs/http (problem+json, the clock endpoint) imports no slice, read model or job.',
      ],
    ].map(([name, from, to, comment]) => ({ name, severity: 'error', comment, from: { path: `^${from}/` }, to: { path: `^${to}/` } })),
    {
      name: 'only-handlers-run-commands',
      severity: 'error',
      comment:
        "R153 (#28.1): in libs/renewals only command handlers (command-handling/, a slice's *.command.ts) run the command loop; controllers, jobs and processes send their writes on the CommandBus, readers use StreamReader.",
      from: {
        path: '^libs/renewals/src/',
        pathNot: [
          '^libs/renewals/src/command-handling/',
          '\\.command\\.ts$',
          '^libs/renewals/src/(index|renewals\\.module)\\.ts$',
          '\\.spec\\.ts$',
        ],
      },
      to: { path: '^libs/renewals/src/command-handling/stream-commands\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports is dead code, unless it is an entry point (an app, a script, a spec, a bench).',
      from: {
        orphan: true,
        pathNot: ['\\.spec\\.ts$', '\\.d\\.ts$', '(^|/)\\.[^/]+\\.(js|cjs|mjs|json)$', '^apps/[^/]+/src/main\\.ts$', '^scripts/', '^test/'],
      },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No cycles between modules.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|apps/api/web|apps/api/public)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    skipAnalysisNotInRules: true,
  },
};
