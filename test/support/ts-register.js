/**
 * Lets a child process run recert's TypeScript sources as they are (no build): `node -r test/support/ts-register.js
 * apps/api/src/main.ts`. Each .ts file is transpiled alone by TypeScript (keeping decorator metadata, which Nest's
 * injection needs and esbuild-based loaders drop), and the @recert/* aliases of tsconfig.json resolve to their folders.
 * For tests that start real processes (topology, erasure on disk); production runs the build.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const tsconfig = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config;
const aliases = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]),
);
const compilerOptions = {
  ...ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, root).options,
  module: ts.ModuleKind.CommonJS,
  sourceMap: false,
  inlineSourceMap: true,
  declaration: false,
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, aliases[request] ?? request, ...rest);
};
require.extensions['.ts'] = function (module, filename) {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
