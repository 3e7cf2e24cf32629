import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * #17.2: the dependency rules of .dependency-cruiser.cjs (run by `npm run lint`) refuse each planted violation, and
 * the tree as it is passes. The plants live in a temporary folder laid out like the repository, never in the tree.
 */
const root = join(__dirname, '..', '..');
const CLI = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
type Violation = { rule: { name: string }; from: string; to: string };

function cruise(cwd: string, paths: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', ...paths], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // depcruise exits non-zero when it finds errors; its report is still on stdout.
    out = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('#17.2 dependency rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-depcruise-'));
    const plant = (file: string, text: string): void => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    plant('tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@recert/kernel': ['libs/kernel/src'] } } }));
    plant('libs/kernel/src/index.ts', 'export const kernel = 1;\n');
    plant('libs/kernel/src/config.ts', 'export const config = 1;\n');
    plant('libs/kernel/src/pure.ts', 'export const pure = 1;\n');
    plant('libs/eventstore/src/index.ts', 'export const store = 1;\n');
    plant('libs/eventstore/src/sqlite/store.ts', 'export const sqlite = 1;\n');
    plant(
      'libs/domain/src/planted.ts',
      [
        "import { Injectable } from '@nestjs/common';",
        "import { readFileSync } from 'node:fs';",
        "import { store } from '../../eventstore/src';",
        "import { kernel } from '@recert/kernel';",
        'export const planted = [Injectable, readFileSync, store, kernel];',
        '',
      ].join('\n'),
    );
    plant('libs/domain/src/clean.ts', "import { pure } from '../../kernel/src/pure';\nexport const clean = pure;\n");
    plant('projections/holdings/holdings.model.ts', 'export const model = 1;\n');
    plant('projections/runtime/consistency.ts', "import { model } from '../holdings/holdings.model';\nexport const c = model;\n");
    plant('apps/worker/src/health.ts', 'export const health = 1;\n');
    plant('apps/api/src/app.module.ts', "import { health } from '../../worker/src/health';\nexport const app = health;\n");
    plant('apps/api/src/deep.ts', "import { sqlite } from '../../../libs/eventstore/src/sqlite/store';\nexport const deep = sqlite;\n");
    plant('libs/jobs/src/a.ts', "import { b } from './b';\nexport const a = (): unknown => b;\n");
    plant('libs/jobs/src/b.ts', "import { a } from './a';\nexport const b = (): unknown => a;\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('#17.2: each planted violation is reported under its rule', () => {
    const found = cruise(dir, ['libs', 'projections', 'apps']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^domain-no-nest: libs\/domain\/src\/planted\.ts -> .*node_modules\/@nestjs\/common\//),
        'domain-no-io: libs/domain/src/planted.ts -> fs',
        'domain-no-adapter: libs/domain/src/planted.ts -> libs/eventstore/src/index.ts',
        'domain-only-pure-kernel: libs/domain/src/planted.ts -> libs/kernel/src/index.ts',
        'runtime-no-read-model: projections/runtime/consistency.ts -> projections/holdings/holdings.model.ts',
        'apps-not-each-other: apps/api/src/app.module.ts -> apps/worker/src/health.ts',
        'no-deep-import-eventstore: apps/api/src/deep.ts -> libs/eventstore/src/sqlite/store.ts',
        expect.stringMatching(/^no-circular: libs\/jobs\/src\/(a|b)\.ts -> libs\/jobs\/src\/(a|b)\.ts$/),
      ]),
    );
    // The domain's import of the pure kernel entry is allowed.
    expect(found.filter((line) => line.includes('libs/domain/src/clean.ts'))).toEqual([]);
  }, 120_000);

  it('#17.2: the tree as it is breaks no rule', () => {
    expect(cruise(root, ['apps', 'libs', 'projections', 'scripts', 'test'])).toEqual([]);
  }, 180_000);
});
