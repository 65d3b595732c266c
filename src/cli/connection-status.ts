// A lost connection during `reactor-rpc call`, told with the address: the
// library's "ttrpc: closed" becomes "ttrpc: connection to tcp://… closed by
// the server before the reply".
import { Code } from '../status/code.js';
import { type Status, status } from '../status/status.js';
import { displayAddress } from './address-arg.js';

const CLOSED = /^(ttrpc|drpc): (?:closed|connection closed)$/;
const LOST = /^(ttrpc|drpc): connection lost: (.*)$/s;

/** withTarget names the server address in an UNAVAILABLE status that reports a closed or lost connection; other statuses come back unchanged. */
export function withTarget(s: Status, address: string, replied: boolean): Status {
  if (s.code !== Code.UNAVAILABLE) return s;
  const when = replied ? 'before the call ended' : 'before the reply';
  const target = displayAddress(address);
  const closed = CLOSED.exec(s.message);
  if (closed) return status(Code.UNAVAILABLE, `${closed[1]}: connection to ${target} closed by the server ${when}`);
  const lost = LOST.exec(s.message);
  if (lost) return status(Code.UNAVAILABLE, `${lost[1]}: connection to ${target} lost ${when}: ${lost[2]}`);
  return s;
}
