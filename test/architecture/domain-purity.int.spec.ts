import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * #17.2: the domain loads without Nest, rxjs, jose (tokens) or any store. Each module is required in a plain node
 * process of its own (jest's registry hides require.cache), which prints every file it loaded.
 */
const root = join(__dirname, '..', '..');
const FORBIDDEN = ['/@nestjs/', '/rxjs/', '/jose/', '/better-sqlite3/', '/@eventstore/', '/libs/eventstore/', '/libs/kernel/src/index'];

function loadedBy(module: string): string[] {
  const probe = `require(${JSON.stringify(join(root, module))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', probe], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as string[];
}
const offending = (files: string[]): string[] => files.filter((file) => FORBIDDEN.some((bad) => file.includes(bad)));

describe('#17.2 the domain is a pure layer', () => {
  it.each([
    'libs/domain/src/holding/holding.decide.ts',
    'libs/domain/src/profile/profile.ts',
    'libs/domain/src/account/account.ts',
    'libs/domain/src/learn-profile/learn-profile.ts',
    'libs/domain/src/policy-adoption/policy-adoption.ts',
    'libs/domain/src/what-if/what-if.ts',
    'libs/domain/src/index.ts',
  ])(
    '#17.2: loading %s loads no Nest, rxjs, jose nor store',
    (module) => {
      const files = loadedBy(module);
      expect(files).toContain(join(root, module));
      expect(offending(files)).toEqual([]);
    },
    60_000,
  );

  it('#17.2: the probe sees what it looks for: the @recert/kernel barrel does load Nest', () => {
    expect(offending(loadedBy('libs/kernel/src/index.ts')).some((file) => file.includes('/@nestjs/common/'))).toBe(true);
  }, 60_000);
});
