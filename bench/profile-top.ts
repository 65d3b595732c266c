/**
 * profile-top prints the functions with the most self time in V8 CPU profiles
 * (`.cpuprofile`, from --cpu-prof) or the most sampled allocation in heap
 * profiles (`.heapprofile`, from --heap-prof), aggregated by function and
 * location, plus the share of GC and idle time:
 *
 *   node .tmp/bench-js/bench/profile-top.js <file…> [--top N]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

function where(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name}  ${basename(f.url)}:${f.lineNumber + 1}`;
}

function print(title: string, totals: Map<string, number>, sum: number, top: number, unit: (v: number) => string): void {
  process.stdout.write(`${title}\n`);
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, v] of rows) process.stdout.write(`${((100 * v) / sum).toFixed(1).padStart(5)}%  ${unit(v).padStart(10)}  ${k}\n`);
}

function cpu(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: CpuNode[]; samples: number[]; startTime: number; endTime: number };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  for (const id of p.samples) {
    const k = where(byId.get(id)!.callFrame);
    totals.set(k, (totals.get(k) ?? 0) + 1);
  }
  const ms = (p.endTime - p.startTime) / 1000 / p.samples.length;
  print(`${file}: ${p.samples.length} samples`, totals, p.samples.length, top, (v) => `${(v * ms).toFixed(0)} ms`);
}

function heap(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const totals = new Map<string, number>();
  let sum = 0;
  const walk = (n: HeapNode): void => {
    if (n.selfSize > 0) {
      const k = where(n.callFrame);
      totals.set(k, (totals.get(k) ?? 0) + n.selfSize);
      sum += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(p.head);
  print(`${file}: ${(sum / 1048576).toFixed(1)} MiB sampled`, totals, sum, top, (v) => `${(v / 1024).toFixed(0)} KiB`);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
for (const f of positionals) (f.endsWith('.heapprofile') ? heap : cpu)(f, Number(values.top));
