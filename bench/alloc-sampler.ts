/**
 * Allocation sampling for the benchmark process (`--alloc-prof <file>`): the
 * V8 sampling heap profiler with objects the GC already collected included,
 * so short-lived per-call garbage shows up (node --heap-prof keeps only the
 * objects still alive when it stops). Read the result with profile-top.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** AllocSampler records sampled allocations between start() and stop(). */
export class AllocSampler {
  private readonly session = new Session();

  /** start begins sampling one allocation every `intervalBytes` bytes on average. */
  async start(intervalBytes = 8192): Promise<void> {
    this.session.connect();
    await this.session.post('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** stop ends sampling and writes the profile (a .heapprofile JSON) to `file`. */
  async stop(file: string): Promise<void> {
    const { profile } = await this.session.post('HeapProfiler.stopSampling');
    this.session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
  }
}
