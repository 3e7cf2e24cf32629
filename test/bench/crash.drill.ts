/**
 * `npm run drill:crash`: under load, SIGKILL the api at random moments (several times), restart it, and check:
 *  - every command that got a 2xx has its events in the log exactly once;
 *  - the projections caught up with no double count (the served read model equals a rebuild from zero);
 *  - no notification was lost or sent twice (windows opened = notifications recorded = files written);
 *  - every merge started (support merges pairs of profiles under fire) ends complete (#16.3);
 *  - no webhook delivery is lost (#14.5, R36): every mapped event after the endpoint's registration reached a loopback
 *    receiver at least once, correctly signed (repeats after a kill are allowed: at least once, de-duplicable by id).
 * Prints the counts it compared; exits 1 when one does not hold.
 */
import Database from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { projectRoot } from '@recert/kernel';
import { HoldingsProjection, notificationIdOf, OutboxProjection, ProjectionRunner } from '@recert/projections';
import { startApiProcess, token } from './read.bench';
import { seedPopulation } from './seed';
import { loadCatalog, loadPolicyBook } from '@recert/renewals';
import { WEBHOOK_SOURCES } from '@recert/domain';

const KILLS = Number(process.env['DRILL_KILLS'] ?? 4);
const CONNECTIONS = Number(process.env['DRILL_CONNECTIONS'] ?? 16);
const NOW = '2026-06-01T00:00:00Z';

interface Ack {
  events: { id: string; stream: string; type: string }[];
}

function post(port: number, agent: http.Agent, path: string, body: string, auth: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { authorization: auth, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

async function main(): Promise<void> {
  const root = projectRoot();
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-drill-'));
  const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
  const policies = loadPolicyBook(join(root, 'config', 'policy.json'));
  let api: ChildProcess | undefined;
  let failures = 0;
  // The webhook receiver: counts each webhook-id it got with a valid signature (the secret is known once registered).
  let webhookSecret = '';
  const webhookIds = new Map<string, number>();
  let badSignatures = 0;
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const key = Buffer.from(webhookSecret.slice('whsec_'.length), 'base64');
      const expected = createHmac('sha256', key)
        .update(`${id}.${String(req.headers['webhook-timestamp'])}.${body}`)
        .digest('base64');
      if (req.headers['webhook-signature'] === `v1,${expected}`) webhookIds.set(id, (webhookIds.get(id) ?? 0) + 1);
      else badSignatures += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  const check = (label: string, ok: boolean, detail: string): void => {
    if (!ok) failures += 1;
    console.log(`${ok ? 'OK  ' : 'FAIL'} ${label}: ${detail}`);
  };
  try {
    // Windows open at 2026-03-01 but not yet recorded: the in-process scheduler opens and notifies them under fire.
    const seeded = await seedPopulation({ dataDir, targetEvents: 60_000, catalog, policies, now: new Date(NOW), layout: 'window-open' });
    const port = 3700 + Math.floor(Math.random() * 90);
    const env = {
      SCHEDULER_INTERVAL_MS: '300',
      DISPATCH_INTERVAL_MS: '200',
      RATE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    };
    api = await startApiProcess(dataDir, port, env);
    const registered = await post(
      port,
      new http.Agent(),
      '/admin/webhooks',
      JSON.stringify({
        url: receiverUrl,
        events: ['certification.earned', 'certification.renewed', 'certification.expired', 'certification.window-opened'],
      }),
      `Bearer ${token(['admin'])}`,
    );
    const endpoint = JSON.parse(registered.body) as { id: string; secret: string; position: number };
    webhookSecret = endpoint.secret;

    const acks: Ack[] = [];
    let sent = 0;
    let refused = 0;
    let unanswered = 0;
    let running = true;
    const assessment = `Bearer ${token(['assessment-system'])}`;
    const exam = `Bearer ${token(['exam-system'])}`;
    const client = async (c: number): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let n = c; running; n += CONNECTIONS) {
        const profile = `bench-${(n * 7919) % seeded.profiles}`;
        const earn = n % 4 === 0;
        const res = earn
          ? await post(
              port,
              agent,
              `/certification-profiles/${profile}/certifications`,
              JSON.stringify({ certificationCode: 'azure-developer-associate' }),
              exam,
            )
          : await post(
              port,
              agent,
              `/certification-profiles/${profile}/certifications/azure-administrator-associate/renewal-attempts`,
              JSON.stringify({ passed: n % 3 === 0, language: 'en' }),
              assessment,
            );
        sent += 1;
        if (res.status >= 200 && res.status < 300) acks.push(JSON.parse(res.body) as Ack);
        else if (res.status === 0) {
          unanswered += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        } else refused += 1;
      }
      agent.destroy();
    };
    const clients = Array.from({ length: CONNECTIONS }, (_, c) => client(c));
    // Support merges pairs of profiles meanwhile: a kill can tear a merge between its streams.
    const support = `Bearer ${token(['support'])}`;
    const merger = async (): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let pair = 0; running && 2 * pair + 1 < seeded.profiles; pair += 1) {
        const target = `bench-${seeded.profiles - 1 - 2 * pair}`;
        const source = `bench-${seeded.profiles - 2 - 2 * pair}`;
        const res = await post(
          port,
          agent,
          `/certification-profiles/${target}/merges`,
          JSON.stringify({ sourceProfileId: source }),
          support,
        );
        if (res.status >= 200 && res.status < 300) acks.push(JSON.parse(res.body) as Ack);
        else if (res.status === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      agent.destroy();
    };
    clients.push(merger());

    for (let kill = 1; kill <= KILLS; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 800 + Math.random() * 1700));
      const victim = api;
      await new Promise<void>((resolve) => {
        victim.once('exit', () => resolve());
        victim.kill('SIGKILL');
      });
      console.log(`killed the api (SIGKILL ${kill}/${KILLS}) after ${acks.length} acknowledged commands; restarting`);
      api = await startApiProcess(dataDir, port, env);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(clients);

    // Let the last scheduler and dispatcher runs finish: run on demand until nothing is pending. Notifications
    // leased by a killed process wait out their lease (10 s), then go.
    const scheduler = `Bearer ${token(['scheduler'])}`;
    const pendingNow = (): number => {
      const db = new Database(join(dataDir, 'read.db'), { readonly: true });
      const n = (db.prepare("SELECT count(*) AS n FROM rm_notifications WHERE state = 'pending'").get() as { n: number }).n;
      db.close();
      // Webhook deliveries live in the shared state (R43): DATA_DIR/shared-state.db when no SHARED_STATE_URL is set.
      const hooks = new Database(join(dataDir, 'shared-state.db'), { readonly: true });
      const w = (hooks.prepare("SELECT count(*) AS n FROM recert_webhook_deliveries WHERE state = 'pending'").get() as { n: number }).n;
      hooks.close();
      return n + w;
    };
    // Leases of a killed process (notifications 30 s, webhooks 15 s) run out well before 60 s without progress; a
    // loaded machine only drains more slowly, so the drill gives up on a stall, not on a clock (15 min at most).
    const hardStop = Date.now() + 15 * 60_000;
    let lastProgressAt = Date.now();
    for (;;) {
      const run = await post(port, new http.Agent(), '/admin/scheduler/run', '', scheduler);
      const body = JSON.parse(run.body) as {
        windowsOpened: number;
        expired: number;
        notified: number;
        mergesCompleted: number;
        webhooksDelivered: number;
      };
      const progress = body.windowsOpened + body.expired + body.notified + body.mergesCompleted + body.webhooksDelivered;
      if (progress > 0) lastProgressAt = Date.now();
      if ((progress === 0 && pendingNow() === 0) || Date.now() - lastProgressAt > 60_000 || Date.now() > hardStop) break;
      if (body.notified + body.webhooksDelivered === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const stopped = api;
    await new Promise<void>((resolve) => {
      stopped.once('exit', () => resolve());
      stopped.kill('SIGTERM');
    });
    api = undefined;

    // 1. Acknowledged events, exactly once.
    const store = new SqliteEventStore({ file: join(dataDir, 'events.db') });
    const log = await store.readAll({ maxCount: Number.MAX_SAFE_INTEGER });
    const idCounts = new Map<string, number>();
    for (const event of log) idCounts.set(event.id, (idCounts.get(event.id) ?? 0) + 1);
    const ackedIds = acks.flatMap((ack) => ack.events.map((event) => event.id));
    const missing = ackedIds.filter((id) => !idCounts.has(id)).length;
    const doubled = [...idCounts.values()].filter((count) => count > 1).length;
    console.log(
      `load: ${sent} requests, ${acks.length} acknowledged (2xx), ${refused} refused (4xx), ${unanswered} unanswered during kills`,
    );
    check(
      'acknowledged events in the log exactly once',
      missing === 0 && doubled === 0,
      `${ackedIds.length} acknowledged event ids, ${missing} missing, ${doubled} ids stored twice, log of ${log.length} events`,
    );

    // 2. Read models: what the api served equals a rebuild from zero, so nothing was lost or applied twice.
    const served = new Database(join(dataDir, 'read.db'), { readonly: true });
    const generation = (
      served.prepare("SELECT generation FROM read_model_generations WHERE name = 'holdings'").get() as { generation: string }
    ).generation;
    const fresh = new Database(':memory:');
    const runner = new ProjectionRunner(store, fresh, [new HoldingsProjection(policies, generation), new OutboxProjection()]);
    runner.start();
    await runner.waitFor(await store.headPosition(), 120_000);
    await runner.stop();
    const rows = (db: Database.Database, sql: string): string => JSON.stringify(db.prepare(sql).all());
    const holdingsSql = `SELECT * FROM rm_holdings_${generation} ORDER BY holding_id`;
    const checkpoint = served.prepare('SELECT position FROM projection_checkpoints WHERE name = ?').get(`holdings@${generation}`) as {
      position: number;
    };
    check(
      'projections caught up',
      checkpoint.position === (await store.headPosition()),
      `checkpoint ${checkpoint.position}, head ${await store.headPosition()}`,
    );
    check(
      'holdings read model equals a rebuild from zero',
      rows(served, holdingsSql) === rows(fresh, holdingsSql),
      `${(served.prepare(`SELECT count(*) AS n FROM rm_holdings_${generation}`).get() as { n: number }).n} rows compared`,
    );
    const outboxSql = 'SELECT id, window_id, state FROM rm_notifications ORDER BY id';
    check(
      'outbox equals a rebuild from zero',
      rows(served, outboxSql) === rows(fresh, outboxSql),
      `${(served.prepare('SELECT count(*) AS n FROM rm_notifications').get() as { n: number }).n} rows compared`,
    );
    served.close();

    // 3. Notifications: one per opened window at most, none lost. Files are named by notification id, one per window.
    const opened = log.filter((e) => e.type === 'RenewalWindowOpened');
    const notified = log.filter((e) => e.type === 'RenewalEligibilityNotified');
    const notifiedIds = new Set(notified.map((e) => notificationIdOf(e.data['windowId'] as string)));
    const files = new Set(
      readdirSync(join(dataDir, 'notifications'))
        .filter((f) => f.endsWith('.eml'))
        .map((f) => f.replace(/\.eml$/, '')),
    );
    const outbox = new Database(join(dataDir, 'read.db'), { readonly: true });
    const rowsByState = outbox.prepare('SELECT id, state FROM rm_notifications').all() as { id: string; state: string }[];
    outbox.close();
    const obsoleteIds = new Set(rowsByState.filter((r) => r.state === 'obsolete').map((r) => r.id));
    const pending = rowsByState.filter((r) => r.state === 'pending').length;
    const notifiedWithoutFile = [...notifiedIds].filter((id) => !files.has(id)).length;
    const strayFiles = [...files].filter((id) => !notifiedIds.has(id) && !obsoleteIds.has(id)).length;
    // A file whose window ended (renewed) between the sending and its record: sent once, recorded never.
    const sentButEnded = [...files].filter((id) => obsoleteIds.has(id)).length;
    check(
      'no notification lost or sent twice',
      notifiedIds.size === notified.length &&
        notified.length + obsoleteIds.size === opened.length &&
        notifiedWithoutFile === 0 &&
        strayFiles === 0 &&
        pending === 0,
      `${opened.length} windows opened = ${notified.length} notified once each + ${obsoleteIds.size} ended (renewed) before their record; ${files.size} files (${sentButEnded} for windows that ended between sending and recording), ${notifiedWithoutFile} notified without a file, ${strayFiles} stray, ${pending} pending`,
    );

    // 4. Merges: every one started ended complete, whichever step a kill cut it at.
    const mergesStarted = new Set(log.filter((e) => e.type === 'ProfileMergeStarted').map((e) => e.data['mergeId'] as string));
    const mergesCompleted = new Set(log.filter((e) => e.type === 'CertificationProfilesMerged').map((e) => e.data['mergeId'] as string));
    const torn = [...mergesStarted].filter((id) => !mergesCompleted.has(id)).length;
    check(
      'every started merge ended complete',
      mergesStarted.size > 0 && torn === 0,
      `${mergesStarted.size} merges started, ${mergesCompleted.size} completed, ${torn} left torn`,
    );

    // 5. Webhooks (#14.5, R36): every mapped event recorded after the registration reached the receiver at least once.
    const hooked = log.filter((e) => e.position > endpoint.position && e.type in WEBHOOK_SOURCES);
    const lost = hooked.filter((e) => !webhookIds.has(e.id)).length;
    const repeats = [...webhookIds.values()].reduce((sum, n) => sum + n - 1, 0);
    check(
      'no webhook delivery lost',
      hooked.length > 0 && lost === 0 && badSignatures === 0,
      `${hooked.length} events to deliver, ${webhookIds.size} received with a valid signature, ${lost} lost, ${repeats} repeats (at least once), ${badSignatures} bad signatures`,
    );
    await store.close();
  } finally {
    api?.kill('SIGKILL');
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(failures === 0 ? `crash drill passed (${new Date().toISOString()})` : `crash drill FAILED: ${failures} check(s)`);
  if (failures > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
