import { HEADER_LENGTH } from '../../src/protocol/ttrpc/frame.js';

/**
 * ttrpcReference parses a whole byte string non-incrementally: the oracle for
 * the chunked, paused decoder. Each frame is rendered `frame id/type/flags
 * <render(data)>`, an oversize one `oversize id/type/flags <length>`.
 */
export function ttrpcReference(bytes: Uint8Array, max: number, render: (data: Uint8Array) => string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (bytes.length - pos >= HEADER_LENGTH) {
    const v = new DataView(bytes.buffer, bytes.byteOffset + pos, HEADER_LENGTH);
    const len = v.getUint32(0);
    const head = `${v.getUint32(4)}/${v.getUint8(8)}/${v.getUint8(9)}`;
    if (len > max) out.push(`oversize ${head} ${len}`);
    else if (bytes.length - pos - HEADER_LENGTH < len) break;
    else out.push(`frame ${head} ${render(bytes.subarray(pos + HEADER_LENGTH, pos + HEADER_LENGTH + len))}`);
    pos += HEADER_LENGTH + len;
  }
  return out;
}
