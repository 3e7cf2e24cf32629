/**
 * `node -r ./test/support/ts-register.cjs apps/api/src/main.ts`: runs an app from its TypeScript sources in a child
 * process, for specs that need a real process (signals, exit codes) without `npm run build` first. Each file is
 * transpiled alone (the project sets isolatedModules) with decorator metadata, which Nest's injection needs and
 * esbuild-based loaders (tsx) do not emit; the @recert/* aliases resolve as in tsconfig.json.
 */
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
const compilerOptions = { ...config.compilerOptions, sourceMap: false, inlineSourceMap: true };
const aliases = Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = aliases.find(([name]) => name === request);
  return resolve.call(this, alias ? alias[1] : request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: ts.convertCompilerOptionsFromJson(compilerOptions, root).options,
    fileName: filename,
  });
  module._compile(outputText, filename);
};
