// The scenario names of the source checkout's benchmarks (bench/), read from
// bench/scenarios.ts and bench/stream-bench.ts through tsx so that
// `reactor-rpc bench` can reject an unknown name before starting anything.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** TsImport is the part of tsx's API used here: load one TypeScript module. */
type TsImport = (specifier: string, parentUrl: string) => Promise<unknown>;

/** loadTs imports a TypeScript module of the checkout, or resolves to undefined when tsx is not available. */
async function loadTs(file: string): Promise<unknown> {
  try {
    // A computed specifier keeps tsx (a development dependency) out of the bundle.
    const api = 'tsx/esm/api';
    const { tsImport } = (await import(api)) as { tsImport: TsImport };
    return await tsImport(pathToFileURL(file).href, import.meta.url);
  } catch {
    return undefined;
  }
}

/** benchScenarioNames lists the scenario names of `bench` (or the row names of `bench stream`), or undefined when they cannot be read. */
export async function benchScenarioNames(root: string, stream: boolean): Promise<string[] | undefined> {
  if (stream) {
    const m = (await loadTs(join(root, 'bench', 'stream-bench.ts'))) as { streamScenarios?: () => Array<{ name: string }> } | undefined;
    return typeof m?.streamScenarios === 'function' ? m.streamScenarios().map((s) => s.name) : undefined;
  }
  const m = (await loadTs(join(root, 'bench', 'scenarios.ts'))) as { SCENARIOS?: ReadonlyArray<{ name: string }> } | undefined;
  return Array.isArray(m?.SCENARIOS) ? m.SCENARIOS.map((s) => s.name) : undefined;
}
