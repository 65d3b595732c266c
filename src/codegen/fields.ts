// How each protobuf field is typed, defaulted, read and written in generated
// code. One place knows the wire types and the 64-bit conversions.
import protobuf from 'protobufjs';
import type { LongMode, ModuleScope } from './scope.js';

/** WIRE maps a scalar type to its wire type. */
const WIRE: Record<string, number> = {
  int32: 0, uint32: 0, sint32: 0, int64: 0, uint64: 0, sint64: 0, bool: 0,
  fixed64: 1, sfixed64: 1, double: 1,
  string: 2, bytes: 2,
  fixed32: 5, sfixed32: 5, float: 5,
};

/** SIXTY_FOUR lists the 64-bit integer types; the value says whether they are signed. */
const SIXTY_FOUR: Record<string, boolean> = { int64: true, sint64: true, sfixed64: true, uint64: false, fixed64: false };

/** ValueKind classifies the element type of a field. */
export type ValueKind = 'scalar' | 'enum' | 'message';

/** ValueType is the element (or map value) type of a field as generated code sees it. */
export interface ValueType {
  /** kind is scalar, enum or message. */
  readonly kind: ValueKind;
  /** proto is the protobuf type name (`int32`, … ; `int32` for enums; `message`). */
  readonly proto: string;
  /** wire is the wire type of one element (0, 1, 2 or 5). */
  readonly wire: number;
  /** ts is the decoded TypeScript type. */
  readonly ts: string;
  /** zero is the expression of the default value. */
  readonly zero: string;
  /** codec is the local name of the message codec (messages only). */
  readonly codec?: string;
  /** read renders the expression reading one value from reader `r`. */
  read(r: string): string;
  /** write renders the statement writing `v` after tag `tag` into writer `w`. */
  write(w: string, tag: number, v: string): string;
  /** convert renders the expression turning an init value into a decoded one. */
  convert(v: string): string;
  /** packable tells whether repeated values may be packed. */
  readonly packable: boolean;
}

/** tagOf is the wire tag of field `id` with wire type `wire`. */
export function tagOf(id: number, wire: number): number {
  return ((id << 3) | wire) >>> 0;
}

/** longFns names the runtime conversions of one 64-bit type in one long mode. */
function longFn(proto: string, mode: LongMode): string {
  const signed = SIXTY_FOUR[proto] ? 'int64' : 'uint64';
  return `$pb.${signed}${mode === 'bigint' ? '' : mode === 'string' ? 'String' : 'Number'}`;
}

/** scalarValue describes a scalar type. */
function scalarValue(proto: string, long: LongMode): ValueType {
  const wire = WIRE[proto];
  if (wire === undefined) throw new Error(`unsupported field type ${proto}`);
  const is64 = proto in SIXTY_FOUR;
  const ts = is64 ? (long === 'bigint' ? 'bigint' : long) : proto === 'bool' ? 'boolean' : proto === 'string' ? 'string' : proto === 'bytes' ? 'Uint8Array' : 'number';
  const zero = is64 ? (long === 'bigint' ? '0n' : long === 'string' ? "'0'" : '0') : proto === 'bool' ? 'false' : proto === 'string' ? "''" : proto === 'bytes' ? '$pb.EMPTY_BYTES' : '0';
  const convert64 = long === 'bigint' ? 'BigInt' : long === 'string' ? 'String' : 'Number';
  return {
    kind: 'scalar',
    proto,
    wire,
    ts,
    zero,
    read: (r) => (is64 ? `${longFn(proto, long)}(${r}.${proto}())` : `${r}.${proto}()`),
    write: (w, tag, v) => `${w}.uint32(${tag}).${proto}(${is64 ? `$pb.long(${v})` : v});`,
    convert: (v) => (is64 ? `${convert64}(${v})` : v),
    packable: wire !== 2,
  };
}

/** valueType describes a field's element type (for maps: the value type). */
export function valueType(field: protobuf.Field, scope: ModuleScope, long: LongMode): ValueType {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    const codec = scope.ref(resolved);
    return {
      kind: 'message',
      proto: 'message',
      wire: 2,
      ts: codec,
      zero: 'undefined',
      codec,
      read: (r) => `${codec}.decode(${r}, ${r}.uint32())`,
      write: (w, tag, v) => `${codec}.encode(${v}, ${w}.uint32(${tag}).fork()).ldelim();`,
      convert: (v) => `${codec}.create(${v})`,
      packable: false,
    };
  }
  if (resolved instanceof protobuf.Enum) {
    const name = scope.ref(resolved);
    const values = Object.values(resolved.values);
    const first = values.includes(0) ? 0 : (values[0] ?? 0);
    const cast = scope.ts ? ` as ${name}` : '';
    return { ...scalarValue('int32', long), kind: 'enum', ts: name, zero: `${first}${cast}`, read: (r) => `${r}.int32()${cast}`, convert: (v) => v };
  }
  return scalarValue(field.type, long);
}

/** keyType describes a map field's key type. */
export function keyType(field: protobuf.MapField, long: LongMode): ValueType {
  return scalarValue(field.keyType, long);
}

/** keyTs is the TypeScript key type of a map field's object. */
export function keyTs(field: protobuf.MapField): string {
  const k = field.keyType;
  return k in SIXTY_FOUR || k === 'string' || k === 'bool' ? 'string' : 'number';
}

/** keyFromObject renders the conversion of an object key (a string) to what the writer takes. */
export function keyFromObject(field: protobuf.MapField, k: string): string {
  const t = field.keyType;
  if (t === 'string' || t in SIXTY_FOUR) return k;
  if (t === 'bool') return `${k} === 'true'`;
  return `Number(${k})`;
}

/** keyToObject renders the conversion of a decoded key to an object key. */
export function keyToObject(field: protobuf.MapField, k: string): string {
  const t = field.keyType;
  return t in SIXTY_FOUR || t === 'bool' ? `String(${k})` : k;
}

/** memberName is a field's property name: the parser's lowerCamelCase name (protoc's json_name rule). */
export function memberName(field: protobuf.Field | protobuf.OneOf): string {
  const n = field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  return n === '__proto__' ? '__proto__$' : n;
}

/** realOneof is the oneof a field belongs to, unless it is proto3 `optional` (a synthetic oneof). */
export function realOneof(field: protobuf.Field): protobuf.OneOf | null {
  const o = field.partOf;
  if (!o) return null;
  return field.options?.['proto3_optional'] === true ? null : o;
}
