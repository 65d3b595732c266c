/**
 * CPU time of the benchmark's processes. Throughput on a shared or virtual
 * machine moves with whatever else runs; the CPU time each call costs moves
 * much less, so every round also records it: this process through
 * process.cpuUsage(), a server process through /proc/<pid>/stat (Linux; all
 * threads, garbage collector included; clock-tick resolution).
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** processCpuMs returns a process's user+system CPU time in ms (all threads), or undefined when unavailable. */
export function processCpuMs(pid: number): number | undefined {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** cpuMsOf sums the CPU time of several processes; undefined if any is unavailable. */
export function cpuMsOf(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    const v = processCpuMs(pid);
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}
