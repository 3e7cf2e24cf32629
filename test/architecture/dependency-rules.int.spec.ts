import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * #17.2, #22.13 (R50): the dependency rules of .dependency-cruiser.cjs (run by `npm run lint`) refuse each planted
 * violation, and the tree as it is passes. The plants go into the repository itself for the time of one cruise and
 * are removed in a `finally`: they resolve exactly as real code does (node_modules, path aliases), so a rule the
 * configuration kills (as `exclude: node_modules` once killed every rule into node_modules) fails here as well.
 */
const root = join(__dirname, '..', '..');
const CLI = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
type Violation = { rule: { name: string }; from: string; to: string };

function cruise(paths: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', ...paths], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // depcruise exits non-zero when it finds errors; its report is still on stdout.
    out = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

/** Unique per run, so a plant left by a killed run is never mistaken for this one's (and is easy to spot). */
const tag = `planted-violation-${process.pid}`;
const plants: Record<string, string> = {
  [`libs/domain/src/holding/${tag}.ts`]: [
    "import { Injectable } from '@nestjs/common';",
    "import { readFileSync } from 'node:fs';",
    "import { EVENT_STORE } from '../../../eventstore/src';",
    "import { APP_CONFIG } from '@recert/kernel';",
    `import { clean } from './${tag}-clean';`,
    'export const planted = [Injectable, readFileSync, EVENT_STORE, APP_CONFIG, clean];',
    '',
  ].join('\n'),
  [`libs/domain/src/holding/${tag}-clean.ts`]: "import * as pure from '@recert/kernel/pure';\nexport const clean = pure;\n",
  [`projections/runtime/${tag}.ts`]: "import * as model from '../holdings/holdings.model';\nexport const c = model;\n",
  [`apps/worker/src/${tag}-target.ts`]: 'export const target = 1;\n',
  [`apps/api/src/${tag}.ts`]: `import { target } from '../../worker/src/${tag}-target';\nexport const app = target;\n`,
  [`apps/api/src/${tag}-deep.ts`]: "import * as writer from '../../../libs/eventstore/src/sqlite/writer';\nexport const deep = writer;\n",
  [`libs/jobs/src/${tag}-a.ts`]: `import { b } from './${tag}-b';\nexport const a = (): unknown => b;\n`,
  [`libs/jobs/src/${tag}-b.ts`]: `import { a } from './${tag}-a';\nexport const b = (): unknown => a;\n`,
  // #28.5: the layers above the domain, and dead modules.
  [`libs/eventstore/src/${tag}.ts`]: "import { upcast } from '@recert/domain';\nexport const e = upcast;\n",
  [`libs/renewals/src/${tag}.ts`]: "import { ReadModelsModule } from '@recert/projections';\nexport const r = ReadModelsModule;\n",
  [`projections/${tag}.ts`]: "import { WorkerModule } from '@recert/jobs';\nexport const p = WorkerModule;\n",
  [`libs/jobs/src/${tag}-ops.ts`]: "import { MetricsModule } from '@recert/ops';\nexport const j = MetricsModule;\n",
  [`libs/http/src/${tag}.ts`]: "import { PolicyAdoptions } from '@recert/renewals';\nexport const h = PolicyAdoptions;\n",
  [`libs/ops/src/${tag}-orphan.ts`]: 'export const unused = 1;\n',
  // #28.1 (R153): a controller of a slice running the command loop instead of sending on the CommandBus.
  [`libs/renewals/src/${tag}.controller.ts`]:
    "import { StreamCommands } from './command-handling/stream-commands';\nexport const loop = StreamCommands;\n",
};

describe('#17.2 dependency rules', () => {
  it('R50 (#22.13), R153 (#28.1): each violation planted in the repository is reported under its rule', () => {
    let found: string[];
    try {
      for (const [file, text] of Object.entries(plants)) writeFileSync(join(root, file), text);
      found = cruise(Object.keys(plants)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    } finally {
      for (const file of Object.keys(plants)) rmSync(join(root, file), { force: true });
    }
    const domain = `libs/domain/src/holding/${tag}.ts`;
    expect(found).toEqual(
      expect.arrayContaining([
        `domain-no-nest: ${domain} -> node_modules/@nestjs/common/index.js`,
        `domain-no-io: ${domain} -> fs`,
        `domain-no-adapter: ${domain} -> libs/eventstore/src/index.ts`,
        `domain-only-pure-kernel: ${domain} -> libs/kernel/src/index.ts`,
        `runtime-no-read-model: projections/runtime/${tag}.ts -> projections/holdings/holdings.model.ts`,
        `apps-not-each-other: apps/api/src/${tag}.ts -> apps/worker/src/${tag}-target.ts`,
        `no-deep-import-eventstore: apps/api/src/${tag}-deep.ts -> libs/eventstore/src/sqlite/writer.ts`,
        expect.stringMatching(new RegExp(`^no-circular: libs/jobs/src/${tag}-(a|b)\\.ts -> libs/jobs/src/${tag}-(a|b)\\.ts$`)),
        `eventstore-no-domain: libs/eventstore/src/${tag}.ts -> libs/domain/src/index.ts`,
        `renewals-below-readers: libs/renewals/src/${tag}.ts -> projections/index.ts`,
        `projections-below-jobs: projections/${tag}.ts -> libs/jobs/src/index.ts`,
        `jobs-below-ops: libs/jobs/src/${tag}-ops.ts -> libs/ops/src/index.ts`,
        `http-below-slices: libs/http/src/${tag}.ts -> libs/renewals/src/index.ts`,
        `no-orphans: libs/ops/src/${tag}-orphan.ts -> libs/ops/src/${tag}-orphan.ts`,
        `only-handlers-run-commands: libs/renewals/src/${tag}.controller.ts -> libs/renewals/src/command-handling/stream-commands.ts`,
      ]),
    );
    // The domain's import of the pure kernel entry is allowed.
    expect(found.filter((line) => line.includes(`${tag}-clean.ts`))).toEqual([]);
  }, 180_000);

  it('R154 (#28.1): a job importing the command loop (StreamCommands) is refused by eslint; its write goes on the CommandBus', () => {
    const file = `libs/jobs/src/${tag}-loop.ts`;
    let out = '';
    try {
      writeFileSync(join(root, file), "import { StreamCommands } from '@recert/renewals';\nexport const loop = StreamCommands;\n");
      execFileSync(process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', file], {
        cwd: root,
        encoding: 'utf8',
      });
    } catch (error) {
      // eslint exits non-zero when it finds errors; its report is still on stdout.
      out = (error as { stdout: string }).stdout;
    } finally {
      rmSync(join(root, file), { force: true });
    }
    const messages = (JSON.parse(out || '[]') as { messages: { ruleId: string; message: string }[] }[]).flatMap((r) => r.messages);
    expect(messages).toEqual([
      expect.objectContaining({ ruleId: 'no-restricted-imports', message: expect.stringContaining('R154') as string }),
    ]);
  }, 180_000);

  it('#17.2: the tree as it is breaks no rule', () => {
    expect(cruise(['apps', 'libs', 'projections', 'scripts', 'test'])).toEqual([]);
  }, 180_000);
});
