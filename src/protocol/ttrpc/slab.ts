/**
 * Small-buffer allocator for encoded frames and envelopes. In Node a typed
 * array over 64 bytes gets its own off-heap backing store, which costs far more
 * than encoding a small message; like Buffer.allocUnsafe's pool we carve small
 * arrays out of a shared slab instead. Regions are never handed out twice and a
 * fresh slab is zero-filled, so no stale bytes can leak. Callers must respect
 * `byteOffset`/`byteLength` and must not transfer or detach `.buffer`.
 */

const SLAB_SIZE = 16 * 1024;
const MAX_POOLED = 2 * 1024;

let slab = new ArrayBuffer(0);
let slabOffset = 0;

/** allocate returns a zero-filled Uint8Array of exactly `n` bytes, pooled when small. */
export function allocate(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (slabOffset + n > SLAB_SIZE || slab.byteLength === 0) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabOffset = 0;
  }
  const out = new Uint8Array(slab, slabOffset, n);
  slabOffset = (slabOffset + n + 7) & ~7;
  return out;
}
