import type { ClientCall } from '../src/call/call.js';
import type { MethodDescriptor } from '../src/call/method.js';
import type { Scheduler } from '../src/scheduler/scheduler.js';
import { type ClientCallEnd, ClientBinding } from './client-binding.js';
import { type AnyClientReactor, BINDING, ClientUnaryReactor } from './client-reactors.js';
import { ReactorMisuseError } from './misuse.js';

/** isBound tells whether a client reactor is bound to a call already. */
export function isBound(reactor: AnyClientReactor<unknown, unknown>): boolean {
  return reactor[BINDING] !== undefined;
}

/**
 * bindClientReactor attaches a client reactor to a new call (gRPC C++
 * `stub->async()->Method(ctx, req, reactor)`); the user then calls
 * reactor.startCall(). With `streamed`, a bidi reactor drives a call of any
 * wire shape (see ClientBinding). Throws ReactorMisuseError when the reactor
 * is bound already. `end`, when given, is told around the reactor's onDone.
 */
export function bindClientReactor<Req, Res>(reactor: AnyClientReactor<Req, Res>, call: ClientCall, method: MethodDescriptor<Req, Res>, scheduler: Scheduler, request?: Req, streamed = false, end?: ClientCallEnd): void {
  if (reactor[BINDING]) throw new ReactorMisuseError('this reactor is already bound to a call; use a new reactor per call');
  const binding = new ClientBinding<Req, Res>(reactor, call, method, scheduler.createQueue(), request, streamed, end, NOOP_METADATA);
  reactor[BINDING] = binding;
}

/** NOOP_METADATA is the base classes' no-op onReadInitialMetadataDone (a reactor that keeps it needs no such reaction). */
const NOOP_METADATA = ClientUnaryReactor.prototype.onReadInitialMetadataDone;
