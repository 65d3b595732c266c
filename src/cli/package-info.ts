// Where the reactor-rpc package lives and its version, found from this
// module's own location (works from dist/ and from src/ through tsx).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** readPackage returns the parsed package.json at dir if it is reactor-rpc's. */
function readPackage(dir: string): { name?: string; version?: string } | undefined {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
    return parsed.name === 'reactor-rpc' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** packageRoot finds the directory of reactor-rpc's package.json above this module. */
export function packageRoot(from = fileURLToPath(import.meta.url)): string | undefined {
  for (let d = dirname(from); ; d = dirname(d)) {
    if (readPackage(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** packageVersion returns the version field of reactor-rpc's package.json ("unknown" if it cannot be found). */
export function packageVersion(): string {
  const root = packageRoot();
  return (root && readPackage(root)?.version) || 'unknown';
}
