/**
 * `npm run demo [-- --url http://localhost:3000]` (#30): seeds a small certification program through the public API
 * only, then prints sign-in links for a holder, support and an admin that work in development mode.
 *
 * Against the service at `--url` (or DEMO_URL; default http://localhost:3000) when it answers; otherwise, for the
 * default URL, it builds nothing and starts one itself (`dist/apps/api/src/main.js`, DATA_DIR=./data/demo,
 * CLOCK=manual, CLOCK_START=now), which keeps serving until Ctrl-C. States come from earning dates in the past
 * relative to the service's own "now" (read from the first profile's history), and one scheduler run, so any clock
 * works; a manual clock keeps them still, and `POST /admin/clock` moves time on to watch windows open and close.
 *
 * Run twice, it changes nothing: every command carries an `Idempotency-Key` derived from what it does (a repeat
 * within the service's 7-day retention answers the first answer), and a holder whose profile exists from an older run
 * is left as it is. The webhook is registered for `certification.revoked` only, after the demo's revocations, and
 * disabled at once: it never sends anything anywhere.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from '@recert/kernel';

export interface DemoLinks {
  holder: string;
  support: string;
  admin: string;
}
export interface DemoResult {
  links: DemoLinks;
  holders: number;
  now: string;
}
type Log = (line: string) => void;

const HOLDER = 'demo-ada';
const POPULATION = 240;
const IMPORTED = 20;
const ASSOCIATES = ['azure-administrator-associate', 'azure-developer-associate', 'azure-virtual-desktop-specialty'] as const;

/**
 * The one place tokens are made: a development HS256 token (the kernel's, as `npm run dev:token` prints) signed with
 * the secret the api verifies with (AUTH_JWT_SECRET, else the public development secret), valid 12 hours.
 */
export function signInToken(claims: { sub: string; roles: string[]; [claim: string]: unknown }, secret: string): string {
  return signDevelopmentToken(claims, secret, { expiresInSeconds: 12 * 3600 });
}

class Api {
  constructor(
    private readonly base: string,
    private readonly secret: string,
  ) {}

  bearer(sub: string, roles: string[]): string {
    return `Bearer ${signInToken({ sub, roles }, this.secret)}`;
  }

  async call(
    method: 'GET' | 'POST',
    path: string,
    as: { sub: string; roles: string[] },
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: Record<string, unknown>; replayed: boolean }> {
    const headers: Record<string, string> = { authorization: this.bearer(as.sub, as.roles) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['idempotency-key'] = key;
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      // A busy service may ask to come back (rate limit, a clash, a read model catching up): do, a few times.
      const code = parsed['code'];
      if ([409, 429, 503].includes(response.status) && typeof code === 'string' && attempt < 5) {
        if (['RATE_LIMITED', 'CONCURRENCY_CONFLICT', 'SERVICE_UNAVAILABLE'].includes(code)) {
          await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
          continue;
        }
      }
      return { status: response.status, body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
    }
  }
}

const EXAM = { sub: 'demo-exam-system', roles: ['exam-system'] };
const ASSESSMENT = { sub: 'demo-assessment-site', roles: ['assessment-system'] };
const SUPPORT = { sub: 'demo-support', roles: ['support'] };
const ADMIN = { sub: 'demo-admin-ada', roles: ['admin'] };
const SECOND_ADMIN = { sub: 'demo-admin-bob', roles: ['admin'] };

/** `months` (and `days`) before `at`, calendar-wise in UTC. */
function before(at: Date, months: number, days = 0): string {
  const date = new Date(at);
  date.setUTCMonth(date.getUTCMonth() - months);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString();
}

function expect2xx(what: string, response: { status: number; body: Record<string, unknown> }, tolerated: string[] = []): void {
  if (response.status < 300) return;
  if (tolerated.includes(String(response.body['code']))) return;
  throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
}

/** One holder as the demo wants it: created, maybe linked, its certifications earned, then what happens to them. */
interface HolderPlan {
  profileId: string;
  displayName: string;
  linked: boolean;
  earn: { code: string; earnedAt: string }[];
  attempts?: { code: string; passed: boolean }[];
  revoke?: string;
  suspend?: string;
}

async function seedHolder(api: Api, plan: HolderPlan): Promise<void> {
  const accountId = `msa-${plan.profileId}`;
  const created = await api.call(
    'POST',
    '/certification-profiles',
    EXAM,
    {
      profileId: plan.profileId,
      accountId,
      accountType: 'personal',
      displayName: plan.displayName,
      email: `${plan.profileId}@example.com`,
    },
    `demo:create:${plan.profileId}`,
  );
  // Created by an older run whose answers the service no longer keeps: it is seeded already, leave it be.
  if (created.status === 409 && created.body['code'] === 'PROFILE_EXISTS') return;
  expect2xx(`create ${plan.profileId}`, created);
  const path = `/certification-profiles/${plan.profileId}`;
  if (plan.linked) {
    const linked = await api.call(
      'POST',
      `${path}/learn-profile-link`,
      SUPPORT,
      { learnProfileId: `learn-${plan.profileId}`, accountId, accountType: 'personal', reason: 'Demo data: linked on the holder’s behalf' },
      `demo:link:${plan.profileId}`,
    );
    expect2xx(`link ${plan.profileId}`, linked);
  }
  for (const earn of plan.earn) {
    const earned = await api.call(
      'POST',
      `${path}/certifications`,
      EXAM,
      { certificationCode: earn.code, earnedAt: earn.earnedAt },
      `demo:earn:${plan.profileId}:${earn.code}`,
    );
    expect2xx(`earn ${plan.profileId} ${earn.code}`, earned);
  }
  for (const [n, attempt] of (plan.attempts ?? []).entries()) {
    const attempted = await api.call(
      'POST',
      `${path}/certifications/${attempt.code}/renewal-attempts`,
      ASSESSMENT,
      { passed: attempt.passed, score: attempt.passed ? 820 : 540, language: 'en' },
      `demo:attempt:${plan.profileId}:${attempt.code}:${n}`,
    );
    expect2xx(`attempt ${plan.profileId}`, attempted);
  }
  if (plan.revoke) {
    const revoked = await api.call(
      'POST',
      `${path}/certifications/${plan.revoke}/revocation`,
      ADMIN,
      { reason: 'Demo: exam fraud found by the proctoring review' },
      `demo:revoke:${plan.profileId}`,
    );
    expect2xx(`revoke ${plan.profileId}`, revoked);
  }
  if (plan.suspend) {
    const suspended = await api.call(
      'POST',
      `${path}/certifications/${plan.suspend}/suspension`,
      ADMIN,
      { reason: 'Demo: under review after a complaint' },
      `demo:suspend:${plan.profileId}`,
    );
    expect2xx(`suspend ${plan.profileId}`, suspended);
  }
}

/** The service's "now": when the demo's first profile was created (the same on every run, so every key repeats). */
async function serviceNow(api: Api): Promise<Date> {
  const created = await api.call(
    'POST',
    '/certification-profiles',
    EXAM,
    { profileId: HOLDER, accountId: `msa-${HOLDER}`, accountType: 'personal', displayName: 'Ada Lovelace', email: `${HOLDER}@example.com` },
    `demo:create:${HOLDER}`,
  );
  expect2xx(`create ${HOLDER}`, created, ['PROFILE_EXISTS']);
  type Stored = { metadata?: { occurredAt?: string } };
  let first = ((created.body['events'] ?? []) as Stored[])[0];
  if (!first) {
    // Created by an older run: its history says when.
    const history = await api.call('GET', `/certification-profiles/${HOLDER}/history`, SUPPORT);
    expect2xx('read the first holder', history);
    first = ((history.body['events'] ?? []) as Stored[])[0];
  }
  const occurredAt = first?.metadata?.occurredAt;
  if (!occurredAt) throw new Error(`no creation time for ${HOLDER}`);
  return new Date(occurredAt);
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Seeds the demo program on the service at `baseUrl` and answers the sign-in links. */
export async function runDemo(options: { baseUrl: string; secret?: string; log?: Log }): Promise<DemoResult> {
  const base = options.baseUrl.replace(/\/$/, '');
  const secret = options.secret ?? DEVELOPMENT_JWT_SECRET;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const api = new Api(base, secret);

  const now = await serviceNow(api);
  log(`demo: the service's now is ${now.toISOString()}`);

  // The showcase: one holder of each state a holding can be in (policy 2021-06-30: one year, window six months before).
  const aa = 'azure-administrator-associate';
  const da = 'azure-developer-associate';
  const showcase: HolderPlan[] = [
    {
      profileId: HOLDER,
      displayName: 'Ada Lovelace',
      linked: true,
      earn: [
        { code: 'azure-fundamentals', earnedAt: before(now, 20) },
        { code: aa, earnedAt: before(now, 8) },
        { code: 'azure-solutions-architect-expert', earnedAt: before(now, 2) },
        { code: da, earnedAt: before(now, 11, 20) },
      ],
      // Renewed in its open window; the other closes soon after two failed tries, the third cooling down.
      attempts: [
        { code: aa, passed: true },
        { code: da, passed: false },
        { code: da, passed: false },
      ],
    },
    { profileId: 'demo-active', displayName: 'Alan Turing', linked: false, earn: [{ code: aa, earnedAt: before(now, 1) }] },
    { profileId: 'demo-window-open', displayName: 'Grace Hopper', linked: true, earn: [{ code: aa, earnedAt: before(now, 8) }] },
    { profileId: 'demo-closing-soon', displayName: 'Edsger Dijkstra', linked: false, earn: [{ code: da, earnedAt: before(now, 11, 18) }] },
    {
      profileId: 'demo-cooling-down',
      displayName: 'Barbara Liskov',
      linked: true,
      earn: [{ code: da, earnedAt: before(now, 9) }],
      attempts: [
        { code: da, passed: false },
        { code: da, passed: false },
      ],
    },
    {
      profileId: 'demo-renewed',
      displayName: 'Donald Knuth',
      linked: true,
      earn: [{ code: aa, earnedAt: before(now, 10) }],
      attempts: [{ code: aa, passed: true }],
    },
    { profileId: 'demo-expired', displayName: 'John McCarthy', linked: false, earn: [{ code: da, earnedAt: before(now, 14) }] },
    {
      profileId: 'demo-revoked',
      displayName: 'Mallory Example',
      linked: false,
      earn: [{ code: aa, earnedAt: before(now, 3) }],
      revoke: aa,
    },
    {
      profileId: 'demo-suspended',
      displayName: 'Trudy Example',
      linked: false,
      earn: [{ code: da, earnedAt: before(now, 4) }],
      suspend: da,
    },
    { profileId: 'demo-overridden', displayName: 'Margaret Hamilton', linked: false, earn: [{ code: aa, earnedAt: before(now, 11) }] },
    {
      profileId: 'demo-pending-override',
      displayName: 'Katherine Johnson',
      linked: false,
      earn: [{ code: da, earnedAt: before(now, 11, 5) }],
    },
  ];
  // The population: earned over the last 14 months, so some are active, some in their window, some expired.
  const population: HolderPlan[] = Array.from({ length: POPULATION }, (_, i) => {
    const n = i + 1;
    const code = ASSOCIATES[i % ASSOCIATES.length] as string;
    const earn = [{ code, earnedAt: before(now, (i * 7) % 14, (i * 3) % 28) }];
    if (i % 5 === 0) earn.push({ code: 'azure-fundamentals', earnedAt: before(now, 15, i % 28) });
    return { profileId: `demo-h-${String(n).padStart(3, '0')}`, displayName: `Demo Holder ${n}`, linked: i % 3 === 0, earn };
  });
  log(`demo: seeding ${showcase.length + population.length} holders`);
  await inParallel([...showcase, ...population], 6, (plan) => seedHolder(api, plan));

  // Imported from a legacy system (R39-R42): a second run reports them already-imported.
  const rows = Array.from({ length: IMPORTED }, (_, i) => [
    {
      kind: 'holder',
      sourceId: `h-${i + 1}`,
      accountId: `legacy-msa-${i + 1}`,
      accountType: 'personal',
      displayName: `Imported Holder ${i + 1}`,
      email: `legacy-${i + 1}@example.com`,
    },
    {
      kind: 'holding',
      sourceId: `c-${i + 1}`,
      holder: `h-${i + 1}`,
      certificationCode: ASSOCIATES[i % 2],
      earnedAt: before(now, 2 + (i % 9)),
    },
  ]).flat();
  const imported = await api.call('POST', '/admin/imports', ADMIN, {
    format: 'ndjson',
    system: 'legacy',
    content: `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`,
  });
  expect2xx('import', imported);
  log(`demo: import ${JSON.stringify(imported.body['counts'])}`);

  // Overrides under four eyes: one approved by a second admin, one left pending.
  const override = async (profileId: string, code: string, key: string): Promise<string> => {
    const requested = await api.call(
      'POST',
      '/admin/override-requests',
      ADMIN,
      {
        kind: 'extend-expiry',
        target: { profileId, certificationCode: code },
        params: { by: 'P3M' },
        reason: 'Demo: exam platform outage',
      },
      key,
    );
    expect2xx(`override request for ${profileId}`, requested);
    return String(requested.body['id']);
  };
  const approved = await override('demo-overridden', aa, 'demo:override:overridden');
  expect2xx(
    'override approval',
    await api.call('POST', `/admin/override-requests/${approved}/approve`, SECOND_ADMIN, {}, 'demo:approve:overridden'),
    ['OVERRIDE_ALREADY_DECIDED'],
  );
  await override('demo-pending-override', da, 'demo:override:pending');

  // Windows open and expiries happen on a scheduler run: after the override, whose new expiry moves its window.
  expect2xx('scheduler run', await api.call('POST', '/admin/scheduler/run', ADMIN));

  // A webhook, registered and disabled at once (see the header): listed with its delivery log, never sending.
  const webhook = await api.call(
    'POST',
    '/admin/webhooks',
    ADMIN,
    { url: 'https://hooks.example.invalid/recert', events: ['certification.revoked'] },
    'demo:webhook',
  );
  expect2xx('webhook', webhook);
  expect2xx('webhook disabled', await api.call('POST', `/admin/webhooks/${String(webhook.body['id'])}/disable`, ADMIN, {}));

  // A what-if replay: the same program under a two-year validity; its report shows on the program page.
  const latest = await api.call('GET', '/admin/policy-replays/latest', ADMIN);
  if (latest.status !== 200) {
    const replay = await api.call('POST', '/admin/policy-replays', ADMIN, {
      policy: {
        version: 'demo-two-years',
        effectiveFrom: before(now, 24),
        validity: { associate: 'P2Y', expert: 'P2Y', specialty: 'P2Y', fundamentals: null },
        window: { beforeExpiry: 'P6M' },
        extension: 'P1Y',
        retakes: { immediateAttempts: 2, cooldown: 'PT24H' },
      },
    });
    expect2xx('what-if replay', replay);
  }

  const links: DemoLinks = {
    holder: `${base}/dashboard#token=${signInToken(
      {
        sub: 'ada@example.com',
        roles: ['candidate'],
        profileId: HOLDER,
        learnProfileId: `learn-${HOLDER}`,
        accountId: `msa-${HOLDER}`,
        accountType: 'personal',
      },
      secret,
    )}`,
    support: `${base}/dashboard?profile=demo-cooling-down#token=${signInToken({ sub: 'demo-support', roles: ['support'] }, secret)}`,
    admin: `${base}/dashboard/program#token=${signInToken({ sub: 'demo-admin-ada', roles: ['admin'] }, secret)}`,
  };
  return { links, holders: showcase.length + population.length + IMPORTED, now: now.toISOString() };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** Starts the built api for the demo (manual clock, its own DATA_DIR) and waits until it answers. */
async function startService(url: string): Promise<ChildProcess> {
  const dataDir = join(process.cwd(), 'data', 'demo');
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [join(__dirname, '..', 'apps', 'api', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: new URL(url).port || '3000',
      DATA_DIR: dataDir,
      CLOCK: 'manual',
      CLOCK_START: process.env['CLOCK_START'] ?? new Date().toISOString(),
    },
    // Its log goes to a file: the demo's own output stays the few lines a newcomer needs.
    stdio: ['ignore', openSync(join(dataDir, 'api.log'), 'a'), openSync(join(dataDir, 'api.log'), 'a')],
  });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`the api exited with code ${child.exitCode}: see ${join(dataDir, 'api.log')}`);
    if (await answers(url)) return child;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  child.kill('SIGTERM');
  throw new Error(`the api did not answer at ${url} within 2 minutes`);
}

async function main(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--url');
  const given = at >= 0 ? argv[at + 1] : process.env['DEMO_URL'];
  const url = (given ?? 'http://localhost:3000').replace(/\/$/, '');
  let child: ChildProcess | undefined;
  if (!(await answers(url))) {
    // Only a service of its own on this machine: never start one for a URL elsewhere.
    if (!['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname)) throw new Error(`nothing answers at ${url}/health/live`);
    process.stdout.write(`demo: nothing answers at ${url}; starting the api there (DATA_DIR=data/demo, CLOCK=manual)\n`);
    child = await startService(url);
  }
  const result = await runDemo({ baseUrl: url, secret: process.env['AUTH_JWT_SECRET'] || undefined });
  process.stdout.write(
    [
      '',
      `recert demo: ${result.holders} holders, seeded as of ${result.now}. Sign in (links valid 12 h; development tokens):`,
      `  holder  (Ada Lovelace)  ${result.links.holder}`,
      `  support (a holder)      ${result.links.support}`,
      `  admin   (the program)   ${result.links.admin}`,
      `  API docs                ${url}/docs`,
      `For the README's curl tour: export ADMIN=${result.links.admin.slice(result.links.admin.indexOf('#token=') + '#token='.length)}`,
      child
        ? 'The api keeps running for you (its log: data/demo/api.log; its clock is manual: POST /admin/clock moves it). Ctrl-C stops it.'
        : '',
      '',
    ].join('\n'),
  );
  if (child) {
    const running = child;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => running.kill('SIGTERM'));
    await new Promise<void>((resolve) => running.on('exit', () => resolve()));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
