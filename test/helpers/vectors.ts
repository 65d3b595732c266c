/**
 * The byte captures of the Go implementations that the codec, session and
 * interop tests compare against, kept in the repository under test/vectors/.
 * Every file listed in test/vectors/SHA256SUMS must be present and intact:
 * a missing or altered capture fails the test that reads it with a message
 * naming the file, never silently shrinking the suite.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** VECTORS_ROOT is the absolute path of test/vectors/ (with a trailing slash). */
export const VECTORS_ROOT = fileURLToPath(new URL('../vectors/', import.meta.url));

/** VectorKind names a protocol's capture folder. */
export type VectorKind = 'ttrpc' | 'drpc';

const WHY =
  'it is a byte-exact capture of the Go implementation that this test compares our bytes against; ' +
  'restore it from the repository (git checkout -- test/vectors)';

let manifest: Map<string, string> | undefined;

/** expectedVectors reads test/vectors/SHA256SUMS: relative path → sha256. */
export function expectedVectors(): Map<string, string> {
  if (manifest) return manifest;
  const sums = VECTORS_ROOT + 'SHA256SUMS';
  if (!existsSync(sums)) throw new Error(`missing ${sums}: the list of Go byte captures the tests need; ${WHY}`);
  manifest = new Map();
  for (const line of readFileSync(sums, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (m) manifest.set(m[2]!, m[1]!);
  }
  return manifest;
}

/** vectorDir returns the absolute folder of one protocol's captures after checking every listed file is there and intact. */
export function vectorDir(kind: VectorKind): string {
  const dir = VECTORS_ROOT + kind + '/';
  for (const [rel, sum] of expectedVectors()) {
    if (!rel.startsWith(kind + '/')) continue;
    const file = VECTORS_ROOT + rel;
    if (!existsSync(file)) throw new Error(`missing capture test/vectors/${rel}: ${WHY}`);
    const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (actual !== sum) throw new Error(`capture test/vectors/${rel} differs from its recorded sha256: ${WHY}`);
  }
  return dir;
}

/** vectorFiles lists one protocol's capture file names (sorted), after the checks of vectorDir. */
export function vectorFiles(kind: VectorKind): string[] {
  const dir = vectorDir(kind);
  const listed = [...expectedVectors().keys()].filter((r) => r.startsWith(kind + '/')).map((r) => r.slice(kind.length + 1));
  const present = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const extra = present.filter((f) => !listed.includes(f));
  if (extra.length) throw new Error(`test/vectors/${kind}/ holds captures not listed in test/vectors/SHA256SUMS: ${extra.join(', ')}`);
  return listed.sort();
}

/** readVector parses one capture file of a protocol. */
export function readVector<T>(kind: VectorKind, file: string): T {
  return JSON.parse(readFileSync(vectorDir(kind) + file, 'utf8')) as T;
}
