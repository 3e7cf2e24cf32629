// Sums a V8 .cpuprofile by self time: the top functions and a share per area (recert code by folder, node_modules
// by package, node internals, GC, idle). Usage: node scripts/cpu-profile-summary.mjs FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/cpu-profile-summary.mjs FILE.cpuprofile [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTicks = new Map();
for (const id of profile.samples) selfTicks.set(id, (selfTicks.get(id) ?? 0) + 1);
const total = profile.samples.length;

function area(frame) {
  const url = frame.url ?? '';
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(program)') return 'program (native, not attributed)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return `pkg ${nm[1]}`;
  if (url.startsWith('node:') || url === '') return 'node internals';
  const own = url.match(/dist\/((?:apps|libs|projections)\/[^/]+(?:\/src)?\/[^/]+)/);
  return own ? `recert ${own[1]}` : url;
}

const byFunction = new Map();
const byArea = new Map();
for (const [id, ticks] of selfTicks) {
  const frame = byId.get(id).callFrame;
  const name = `${frame.functionName || '(anonymous)'} ${(frame.url ?? '').replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + ticks);
  const a = area(frame);
  byArea.set(a, (byArea.get(a) ?? 0) + ticks);
}
const pct = (ticks) => `${((100 * ticks) / total).toFixed(1).padStart(5)}%`;
console.log(`${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
console.log('\nself time by area:');
for (const [name, ticks] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(ticks)}  ${name}`);
console.log('\nself time by function:');
for (const [name, ticks] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(ticks)}  ${name}`);
