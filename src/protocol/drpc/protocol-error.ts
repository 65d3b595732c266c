/**
 * ProtocolErrorReason lists the reasons the drpc codec reports. The strings
 * match the Go implementation's error texts where Go has one, so logs from
 * both sides read alike.
 */
export const ProtocolErrorReason = {
  /** A varint's 10th byte still had its continuation bit. */
  VarintTooLong: 'varint too long',
  /** A varint decoded to a value above Number.MAX_SAFE_INTEGER (2^53 - 1). */
  VarintExceeds53Bits: 'varint exceeds 2^53',
  /** A frame header announced more data than the maximum packet size. */
  FrameTooLarge: 'frame too large',
  /** A frame's (stream, message) id was below the current id. */
  IdMonotonicity: 'id monotonicity violation',
  /** A frame continued the packet in progress with another kind. */
  KindChange: 'packet kind change',
  /** The accumulated packet data would exceed the maximum packet size. */
  DataOverflow: 'data overflow',
  /** A frame for another stream reached a per-stream assembler, or stream id 0 was used. */
  InvalidStream: 'invalid stream id',
  /** InvokeMetadata data did not have the strict entry shape. */
  InvalidMetadata: 'invalid metadata',
  /** InvokeMetadata went over the receiver's entry or byte limit (a stream-scoped refusal, not a broken connection). */
  MetadataTooLarge: 'metadata too large',
  /** A value handed to an encoder cannot be represented on the wire. */
  InvalidValue: 'invalid value',
} as const;

/**
 * DrpcProtocolError is the only error type the drpc codec throws: the bytes
 * (or the values to encode) break the wire rules. A session that sees it on
 * the read side closes the connection, as the Go implementation does.
 */
export class DrpcProtocolError extends Error {
  /** reason is the short, stable cause (one of ProtocolErrorReason). */
  readonly reason: string;

  /** constructor builds `protocol error: <reason>[: <detail>]`. */
  constructor(reason: string, detail?: string) {
    super(detail ? `protocol error: ${reason}: ${detail}` : `protocol error: ${reason}`);
    this.name = 'DrpcProtocolError';
    this.reason = reason;
  }
}
