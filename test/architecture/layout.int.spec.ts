import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * #30: the README's layout table names every top-level folder under apps/, libs/ and projections/ (and nothing that
 * is gone), and docs/ARCHITECTURE.md names every app and lib, so a newcomer's map is the territory.
 */
const root = join(__dirname, '..', '..');
const folders = (parent: string): string[] =>
  readdirSync(join(root, parent))
    .filter((name) => statSync(join(root, parent, name)).isDirectory())
    .map((name) => `${parent}/${name}`);

/** The first column of the table under README's `## Layout`, without its backticks. */
function layoutRows(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Layout\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1) === -1 ? undefined : section.indexOf('\n## ', 1));
  return body
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => (/^\| `([^`]+)`/.exec(line) as RegExpExecArray)[1] as string);
}

describe('#30 the layout as documented', () => {
  it('#30: every folder under apps/, libs/ and projections/ has its row in the README layout table, and every row names a folder', () => {
    const rows = layoutRows();
    const missing = ['apps', 'libs', 'projections'].flatMap(folders).filter((folder) => !rows.includes(folder));
    expect(missing).toEqual([]);
    const stale = rows.filter((row) => {
      try {
        return !statSync(join(root, row)).isDirectory();
      } catch {
        return true;
      }
    });
    expect(stale).toEqual([]);
  });

  it('#30: docs/ARCHITECTURE.md names every app and lib', () => {
    const architecture = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    expect(['apps', 'libs'].flatMap(folders).filter((folder) => !architecture.includes(folder))).toEqual([]);
  });
});
