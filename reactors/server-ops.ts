/** ServerReactions are the reactions a server binding drives. */
export interface ServerReactions<Req> {
  /** onSendInitialMetadataDone completes startSendInitialMetadata. */
  onSendInitialMetadataDone(ok: boolean): void;
  /** onReadDone completes startRead: ok with a request, false once the client is done or the call ended. */
  onReadDone(ok: boolean, request: Req | undefined): void;
  /** onWriteDone completes startWrite. */
  onWriteDone(ok: boolean): void;
  /** onCancel runs at most once, after the handler returned and before onDone, when the call was cancelled. */
  onCancel(): void;
  /** onDone runs exactly once, last. */
  onDone(): void;
}
