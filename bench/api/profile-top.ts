import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** The functions with the most self time in the newest .cpuprofile of `dir`, as [share, name] (share of all samples). */
export function topSelfTime(dir: string, count = 15): [number, string][] {
  return top(dir, count, nameOf);
}

/** Self time by npm package (or Lethe app/lib, or node itself), the same way. */
export function selfTimeByPackage(dir: string, count = 12): [number, string][] {
  return top(dir, count, packageOf);
}

function top(dir: string, count: number, nameOf: (node: ProfileNode) => string): [number, string][] {
  const newest = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!newest) return [];
  const profile = JSON.parse(readFileSync(join(dir, newest), 'utf8')) as CpuProfile;
  const names = new Map(profile.nodes.map((node) => [node.id, nameOf(node)]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const name = names.get(id) ?? '?';
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => [samples / profile.samples.length, name]);
}

function nameOf({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string {
  const file = url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/(apps|libs)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function packageOf({ callFrame: { functionName, url } }: ProfileNode): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native: sockets, crypto, ...)';
  if (url.startsWith('node:')) return 'node core';
  const inModules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (inModules) return inModules[1];
  const lethe = url.match(/\/((?:apps|libs)\/[^/]+)\//);
  return lethe ? lethe[1] : url;
}
