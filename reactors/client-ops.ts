import type { Status } from '../src/status/status.js';

/** ClientCallEnd is told around the reactor's onDone: beforeDone first, afterDone once onDone returned or threw. @internal */
export interface ClientCallEnd {
  /** beforeDone runs just before onDone. */
  beforeDone?(): void;
  /** afterDone runs once onDone returned or threw. */
  afterDone(): void;
}

/** ClientReactions are the reactions a client binding drives (every client reactor has them all, most as no-ops). */
export interface ClientReactions<Res> {
  /** onReadInitialMetadataDone runs once the server's first response (message or status) arrived. */
  onReadInitialMetadataDone(ok: boolean): void;
  /** onReadDone completes startRead: ok with a message, or false when no more will come. */
  onReadDone(ok: boolean, response: Res | undefined): void;
  /** onWriteDone completes startWrite/startWriteLast. */
  onWriteDone(ok: boolean): void;
  /** onWritesDoneDone completes startWritesDone. */
  onWritesDoneDone(ok: boolean): void;
  /** onDone runs exactly once, last. */
  onDone(status: Status, response: Res | undefined): void;
}

/** WriteOptions qualify one startWrite. */
export interface WriteOptions {
  /** last makes this the final write (as startWriteLast). */
  last?: boolean;
}

/** ClientOps are the operations a reactor forwards to its binding (method syntax keeps them assignable across message types). @internal */
export interface ClientOps {
  /** startCall starts the call. */
  startCall(): void;
  /** startRead asks for one response. */
  startRead(): void;
  /** startWrite sends one request. */
  startWrite(request: unknown, options?: WriteOptions): void;
  /** startWritesDone half-closes. */
  startWritesDone(): void;
  /** addHolds adds holds. */
  addHolds(n: number): void;
  /** removeHold removes one hold. */
  removeHold(): void;
  /** tryCancel cancels the call. */
  tryCancel(): void;
}
