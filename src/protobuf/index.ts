/**
 * reactor-rpc/protobuf: the runtime imported by the code `reactor-rpc gen`
 * writes (protobufjs's Reader and Writer, 64-bit integers, well-known types).
 *
 * @module reactor-rpc/protobuf
 */
// reactor-rpc/protobuf: the small runtime that code written by `reactor-rpc gen`
// imports — protobufjs's binary Reader and Writer, 64-bit integer conversions
// and helpers for the well-known types. The core entry never loads it.
import protobuf from 'protobufjs/minimal.js';
import type { MessageCodec, MessageInit } from '../services/proto-message.js';

/** Reader reads protobuf wire format (protobufjs's Reader). */
export const Reader = protobuf.Reader;
/** Reader is the type of a protobufjs Reader. */
export type Reader = protobuf.Reader;
/** Writer writes protobuf wire format (protobufjs's Writer). */
export const Writer = protobuf.Writer;
/** Writer is the type of a protobufjs Writer. */
export type Writer = protobuf.Writer;

/** Codec is the full codec of a generated message: the core's MessageCodec plus streaming encode/decode for nesting. */
export interface Codec<T> extends MessageCodec<T> {
  /** encode writes a message (fields left out are not written) into `writer` (a new one by default). */
  encode(message: MessageInit<T>, writer?: Writer): Writer;
  /** decode reads a message from bytes or from `length` bytes of a reader. */
  decode(input: Reader | Uint8Array, length?: number): T;
}

/** reader wraps bytes in a Reader (a Reader is returned as it is). */
export function reader(input: Reader | Uint8Array): Reader {
  return input instanceof Reader ? input : Reader.create(input);
}

/** LongBits is the two 32-bit halves protobufjs's Writer accepts for 64-bit fields. */
export interface LongBits {
  /** low is the low 32 bits. */
  readonly low: number;
  /** high is the high 32 bits. */
  readonly high: number;
}

/** LongLike is what protobufjs's Reader returns for a 64-bit field (a Long, or a number without the long package). */
export type LongLike = { readonly low: number; readonly high: number } | number;

const MASK = 0xffffffffn;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/**
 * long converts a 64-bit value (bigint, integral number or decimal string) into
 * what a Writer's 64-bit methods take: a safe integer as a number (no
 * allocation), anything else as the two 32-bit halves (typed as protobufjs's
 * Long, of which the Writer reads only `low` and `high`); throws RangeError on
 * a value that is not an integer.
 */
export function long(value: bigint | number | string): protobuf.Long | number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
  let v: bigint;
  try {
    v = BigInt(value);
  } catch {
    throw new RangeError(`invalid 64-bit integer ${JSON.stringify(String(value))}`);
  }
  const u = BigInt.asUintN(64, v);
  const bits: LongBits = { low: Number(u & MASK), high: Number(u >> 32n) };
  return bits as protobuf.Long;
}

/** EMPTY_BYTES is the default value of a bytes field (length 0, so sharing it is safe). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

const TWO_32 = 4294967296;

/** unsignedBits reads the 64 bits of a reader's result as an unsigned bigint (two small BigInts and a shift: faster than BigInt of a double). */
function unsignedBits(l: LongLike): bigint {
  if (typeof l === 'number') return BigInt.asUintN(64, BigInt(l));
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

/** int64 converts a signed 64-bit reader result (int64, sint64, sfixed64) to a bigint. */
export function int64(l: LongLike): bigint {
  return BigInt.asIntN(64, unsignedBits(l));
}

/** uint64 converts an unsigned 64-bit reader result (uint64, fixed64) to a bigint. */
export function uint64(l: LongLike): bigint {
  return unsignedBits(l);
}

/** int64String is int64 as decimal text (`gen --long string`). */
export function int64String(l: LongLike): string {
  return int64(l).toString();
}

/** uint64String is uint64 as decimal text (`gen --long string`). */
export function uint64String(l: LongLike): string {
  return uint64(l).toString();
}

/** int64Number is int64 as a number (`gen --long number`; precision is lost beyond 2^53). */
export function int64Number(l: LongLike): number {
  return typeof l === 'number' ? l : (l.high | 0) * TWO_32 + (l.low >>> 0);
}

/** uint64Number is uint64 as a number (`gen --long number`; precision is lost beyond 2^53). */
export function uint64Number(l: LongLike): number {
  return typeof l === 'number' ? Number(BigInt.asUintN(64, BigInt(l))) : (l.high >>> 0) * TWO_32 + (l.low >>> 0);
}

/** AnyMessage is the shape of google.protobuf.Any. */
export interface AnyMessage {
  /** typeUrl names the packed type, `type.googleapis.com/<full name>`. */
  typeUrl: string;
  /** value is the packed message's encoding. */
  value: Uint8Array;
}

/** packAny packs a message into a google.protobuf.Any. */
export function packAny<T>(codec: MessageCodec<T>, message: MessageInit<T>): AnyMessage {
  return { typeUrl: `type.googleapis.com/${codec.typeName}`, value: codec.toBinary(message) };
}

/** unpackAny decodes the message packed in an Any; undefined when it holds another type. */
export function unpackAny<T>(any: { readonly typeUrl?: string | undefined; readonly value?: Uint8Array | undefined }, codec: MessageCodec<T>): T | undefined {
  const url = any.typeUrl ?? '';
  if (url.slice(url.lastIndexOf('/') + 1) !== codec.typeName) return undefined;
  return codec.fromBinary(any.value ?? new Uint8Array(0));
}

/** TimestampLike is the shape of google.protobuf.Timestamp. */
export interface TimestampLike {
  /** seconds since the Unix epoch. */
  seconds: bigint | number | string;
  /** nanos within the second (0 to 999,999,999). */
  nanos: number;
}

/** timestampFromDate converts a Date into a google.protobuf.Timestamp. */
export function timestampFromDate(date: Date): { seconds: bigint; nanos: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** timestampToDate converts a google.protobuf.Timestamp into a Date (millisecond precision). */
export function timestampToDate(ts: Partial<TimestampLike>): Date {
  return new Date(Number(BigInt(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000));
}

/** mapValues converts the values of a map field's object (keys kept). */
export function mapValues<V, R>(map: { readonly [key: string]: V } | { readonly [key: number]: V }, convert: (value: V) => R): { [key: string]: R } {
  const out: { [key: string]: R } = {};
  for (const [k, v] of Object.entries(map as { readonly [key: string]: V })) out[k] = convert(v);
  return out;
}
