import type { Conn } from '../../transport/conn.js';
import type { FrameDecoder } from './decoder.js';

/** pauseReading stops a ttrpc session's decoder after its current frame and stops the connection delivering. */
export function pauseReading(decoder: FrameDecoder, conn: Conn): void {
  decoder.pause();
  conn.pause();
}

/** resumeReading decodes the frames a session held back while paused, then lets the connection deliver again unless paused anew; a decoding error destroys the connection. */
export function resumeReading(decoder: FrameDecoder, conn: Conn): void {
  try {
    decoder.resume();
  } catch (e) {
    return conn.destroy(e instanceof Error ? e : new Error(String(e)));
  }
  if (!decoder.paused) conn.resume();
}
