// Bundles the dashboard pages (apps/api/web) into apps/api/public with esbuild: `npm run build:web`.
// Assets get content hashes in their names (so they can be cached for a year), are stored precompressed (brotli
// and gzip, served by WebController by Accept-Encoding), and the build prints the bundle budget it holds to.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Gzipped bytes of everything a first visit loads (script, styles, icon): the budget of issue 15. */
const BUDGET_GZIP_BYTES = 60 * 1024;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'apps', 'api', 'web');
const out = join(root, 'apps', 'api', 'public');
// Old hashed files would pile up otherwise.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: join(source, 'main.tsx'), styles: join(source, 'styles.css') },
  outdir: out,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  metafile: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(source, 'tsconfig.json'),
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => path.replace(/^.*apps\/api\/public\//, ''));
const named = (prefix, ext) => {
  const found = outputs.find((file) => file.startsWith(prefix) && file.endsWith(ext));
  if (!found) throw new Error(`build-web: no ${prefix}*${ext} in the output`);
  return found;
};
const app = named('app-', '.js');
const styles = named('styles-', '.css');
const iconSource = readFileSync(join(source, 'favicon.svg'));
const icon = `favicon-${createHash('sha256').update(iconSource).digest('hex').slice(0, 8)}.svg`;
writeFileSync(join(out, icon), iconSource);

const html = readFileSync(join(source, 'index.html'), 'utf8')
  .replaceAll('{{app}}', `/dashboard/assets/${app}`)
  .replaceAll('{{styles}}', `/dashboard/assets/${styles}`)
  .replaceAll('{{icon}}', `/dashboard/assets/${icon}`);
writeFileSync(join(out, 'index.html'), html);

// Precompress what is served: brotli for browsers that ask for it, gzip for the rest.
const served = [...outputs.filter((file) => !file.endsWith('.map')), icon, 'index.html'];
let firstVisit = 0;
const lines = [];
for (const file of served) {
  const bytes = readFileSync(join(out, file));
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(join(out, `${file}.gz`), gz);
  writeFileSync(join(out, `${file}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  const loadedFirst = file === app || file === styles || file === icon || file === 'index.html';
  if (loadedFirst) firstVisit += gz.length;
  lines.push(
    `  ${file.padEnd(28)} ${(bytes.length / 1024).toFixed(1).padStart(7)} kB  ${(gz.length / 1024).toFixed(1).padStart(6)} kB gzip${loadedFirst ? '' : '  (lazy)'}`,
  );
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify({ app, styles, icon, files: served }, null, 2));
const verdict = firstVisit <= BUDGET_GZIP_BYTES ? 'MET' : 'MISSED';
process.stdout.write(
  `dashboard bundle:\n${lines.join('\n')}\n  first visit ${(firstVisit / 1024).toFixed(1)} kB gzip of a ${BUDGET_GZIP_BYTES / 1024} kB budget: ${verdict}\n`,
);
if (verdict === 'MISSED') process.exitCode = 1;
