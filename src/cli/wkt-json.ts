// The proto3 JSON forms of the google/protobuf well-known types for the
// command line (see docs/proto-json.md): Timestamp as RFC 3339 text,
// Duration as "1.5s", Any with "@type", FieldMask as one comma-separated
// camelCase string, Struct/Value/ListValue as plain JSON, the wrappers as
// their bare value, Empty as {}. Fields are found by their proto names, so
// both the built-in (snake_case) and a .proto's (camelCase) copies work.
import protobuf from 'protobufjs';

/** InputError is a problem in user input; reported as one line by its name (see input-error.ts). */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** JsonCodec is the generic message mapping the well-known types call back into. */
export interface JsonCodec {
  /** fromJson checks JSON against a message type and returns it in protobufjs fromObject form. */
  fromJson(type: protobuf.Type, json: unknown, where: string): Record<string, unknown>;
  /** toJson prints a decoded message in its JSON form. */
  toJson(type: protobuf.Type, msg: protobuf.Message): unknown;
  /** scalarIn checks one JSON value of a scalar field. */
  scalarIn(field: protobuf.Field, v: unknown, where: string): unknown;
  /** scalarOut prints one scalar value of a field. */
  scalarOut(field: protobuf.Field, v: unknown): unknown;
}

const WRAPPERS = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((w) => `.google.protobuf.${w}Value`);
const SPECIAL = ['Timestamp', 'Duration', 'Any', 'FieldMask', 'Struct', 'Value', 'ListValue', 'Empty'].map((w) => `.google.protobuf.${w}`);
const TIMESTAMP_HINT = 'want RFC 3339 like 1972-01-01T10:00:20.021Z';
const MIN_SECONDS = -62135596800; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z
const MAX_DURATION = 315576000000;

/** isWkt tells whether a message type has a special JSON form. */
export function isWkt(type: protobuf.Type): boolean {
  return SPECIAL.includes(type.fullName) || WRAPPERS.includes(type.fullName);
}

/** field finds a field by its proto name. */
function field(type: protobuf.Type, proto: string): protobuf.Field {
  const f = type.fieldsArray.find((x) => (x.protoName ?? x.name) === proto || x.name === proto);
  if (!f) throw new InputError(`${type.fullName.slice(1)} has no field ${proto}`);
  return f.resolve();
}

/** build makes a fromObject object from proto-named values. */
function build(type: protobuf.Type, values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [field(type, k).name, v]));
}

/** get reads a field of a decoded message by its proto name (undefined when not set on the message itself). */
function get(type: protobuf.Type, msg: protobuf.Message, proto: string): unknown {
  const name = field(type, proto).name;
  return Object.prototype.hasOwnProperty.call(msg, name) ? (msg as unknown as Record<string, unknown>)[name] : undefined;
}

/** num reads a number or a Long. */
const num = (v: unknown): number => (v == null ? 0 : typeof v === 'number' ? v : Number(String(v)));
/** fraction prints nanoseconds with 0, 3, 6 or 9 digits. */
const fraction = (n: number): string =>
  n === 0 ? '' : n % 1e6 === 0 ? `.${String(n / 1e6).padStart(3, '0')}` : n % 1e3 === 0 ? `.${String(n / 1e3).padStart(6, '0')}` : `.${String(n).padStart(9, '0')}`;
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** parseTimestamp reads RFC 3339 text; undefined when it is not valid. */
function parseTimestamp(s: string): { seconds: number; nanos: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, se, 0);
  if (date.getUTCDate() !== d) return undefined;
  let seconds = date.getTime() / 1000;
  if (m[9]) seconds -= (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return undefined;
  return { seconds, nanos: m[7] ? Number(m[7].padEnd(9, '0')) : 0 };
}

/** valueIn turns any JSON value into a google.protobuf.Value. */
function valueIn(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (json === null) return build(type, { null_value: 0 });
  if (typeof json === 'number') return build(type, { number_value: json });
  if (typeof json === 'string') return build(type, { string_value: json });
  if (typeof json === 'boolean') return build(type, { bool_value: json });
  if (Array.isArray(json)) return build(type, { list_value: listIn(field(type, 'list_value').resolvedType as protobuf.Type, json, where) });
  if (isObject(json)) return build(type, { struct_value: structIn(field(type, 'struct_value').resolvedType as protobuf.Type, json, where) });
  throw new InputError(`${where}: want a JSON value, got ${JSON.stringify(json)}`);
}

function listIn(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (!Array.isArray(json)) throw new InputError(`${where}: want a JSON array for google.protobuf.ListValue, got ${JSON.stringify(json)}`);
  const value = field(type, 'values').resolvedType as protobuf.Type;
  return build(type, { values: json.map((v, i) => valueIn(value, v, `${where}[${i}]`)) });
}

function structIn(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (!isObject(json)) throw new InputError(`${where}: want a JSON object for google.protobuf.Struct, got ${JSON.stringify(json)}`);
  const value = field(type, 'fields').resolvedType as protobuf.Type;
  return build(type, { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueIn(value, v, `${where}.${k}`)])) });
}

/** anyType finds the message type an Any's type URL names. */
function anyType(any: protobuf.Type, url: string, where: string): protobuf.Type {
  const name = url.slice(url.lastIndexOf('/') + 1);
  const t = name ? any.root.lookup(name) : null;
  if (!(t instanceof protobuf.Type)) throw new InputError(`${where}: unknown type "${name}" in "@type" ${JSON.stringify(url)} (not in the loaded .proto files)`);
  return t;
}

/** wktFromJson reads the JSON form of a well-known type into protobufjs fromObject form. */
export function wktFromJson(type: protobuf.Type, json: unknown, where: string, codec: JsonCodec): Record<string, unknown> {
  const wanted = (what: string) => new InputError(`${where}: invalid ${type.name} ${JSON.stringify(json)} (${what})`);
  switch (type.fullName) {
    case '.google.protobuf.Timestamp': {
      const t = typeof json === 'string' ? parseTimestamp(json) : undefined;
      if (!t) throw wanted(TIMESTAMP_HINT);
      return build(type, { seconds: t.seconds, nanos: t.nanos });
    }
    case '.google.protobuf.Duration': {
      const m = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
      if (!m || Number(m[2]) > MAX_DURATION) throw wanted('want seconds like "1.5s" or "-0.001s"');
      const sign = m[1] ? -1 : 1;
      return build(type, { seconds: `${m[1] && m[2] !== '0' ? '-' : ''}${m[2]}`, nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) });
    }
    case '.google.protobuf.FieldMask': {
      if (typeof json !== 'string' || !/^([A-Za-z0-9.]+(,[A-Za-z0-9.]+)*)?$/.test(json)) throw wanted('want camelCase paths separated by commas, like "user.displayName,photo"');
      return build(type, { paths: json === '' ? [] : json.split(',').map((p) => p.split('.').map(snake).join('.')) });
    }
    case '.google.protobuf.Struct':
      return structIn(type, json, where);
    case '.google.protobuf.ListValue':
      return listIn(type, json, where);
    case '.google.protobuf.Value':
      return valueIn(type, json, where);
    case '.google.protobuf.Empty':
      if (!isObject(json) || Object.keys(json).length > 0) throw wanted('want {}');
      return {};
    case '.google.protobuf.Any': {
      if (!isObject(json)) throw wanted('want an object with "@type"');
      const url = json['@type'];
      if (url === undefined && Object.keys(json).length === 0) return {};
      if (typeof url !== 'string') throw wanted('want an object with "@type"');
      const inner = anyType(type, url, where);
      let value: Record<string, unknown>;
      if (isWkt(inner)) {
        if (!('value' in json)) throw wanted(`want "value" holding the ${inner.fullName.slice(1)}`);
        value = wktFromJson(inner, json.value, `${where}.value`, codec);
      } else value = codec.fromJson(inner, Object.fromEntries(Object.entries(json).filter(([k]) => k !== '@type')), where);
      return build(type, { type_url: url, value: inner.encode(inner.fromObject(value)).finish() });
    }
    default: // the wrappers
      return build(type, { value: codec.scalarIn(field(type, 'value'), json, where) });
  }
}

/** valueOut prints a google.protobuf.Value. */
function valueOut(type: protobuf.Type, msg: protobuf.Message, codec: JsonCodec): unknown {
  for (const kind of ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value']) {
    const v = get(type, msg, kind);
    if (v === undefined || v === null) continue;
    if (kind === 'null_value') return null;
    if (kind === 'number_value' && !Number.isFinite(v)) throw new InputError(`google.protobuf.Value holds ${String(v)}, which JSON cannot show`);
    const inner = field(type, kind).resolvedType;
    return inner instanceof protobuf.Type ? wktToJson(inner, v as protobuf.Message, codec) : v;
  }
  return null;
}

/** wktToJson prints a decoded well-known type in its JSON form. */
export function wktToJson(type: protobuf.Type, msg: protobuf.Message, codec: JsonCodec): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp': {
      const seconds = num(get(type, msg, 'seconds'));
      const nanos = num(get(type, msg, 'nanos'));
      if (seconds < MIN_SECONDS || seconds > MAX_SECONDS || nanos < 0 || nanos > 999_999_999) throw new InputError(`google.protobuf.Timestamp out of range: seconds ${seconds}, nanos ${nanos}`);
      return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction(nanos)}Z`;
    }
    case '.google.protobuf.Duration': {
      const seconds = num(get(type, msg, 'seconds'));
      const nanos = num(get(type, msg, 'nanos'));
      if (Math.abs(seconds) > MAX_DURATION || Math.abs(nanos) > 999_999_999 || (seconds !== 0 && nanos !== 0 && seconds < 0 !== nanos < 0)) {
        throw new InputError(`google.protobuf.Duration out of range: seconds ${seconds}, nanos ${nanos}`);
      }
      return `${seconds < 0 || nanos < 0 ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
    }
    case '.google.protobuf.FieldMask':
      return ((get(type, msg, 'paths') as string[] | undefined) ?? []).map((p) => p.split('.').map(camel).join('.')).join(',');
    case '.google.protobuf.Struct': {
      const value = field(type, 'fields').resolvedType as protobuf.Type;
      const fields = (get(type, msg, 'fields') as Record<string, protobuf.Message> | undefined) ?? {};
      return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueOut(value, v, codec)]));
    }
    case '.google.protobuf.ListValue': {
      const value = field(type, 'values').resolvedType as protobuf.Type;
      return ((get(type, msg, 'values') as protobuf.Message[] | undefined) ?? []).map((v) => valueOut(value, v, codec));
    }
    case '.google.protobuf.Value':
      return valueOut(type, msg, codec);
    case '.google.protobuf.Empty':
      return {};
    case '.google.protobuf.Any': {
      const url = (get(type, msg, 'type_url') as string | undefined) ?? '';
      const bytes = (get(type, msg, 'value') as Uint8Array | undefined) ?? new Uint8Array(0);
      if (url === '' && bytes.length === 0) return {};
      const inner = anyType(type, url, 'cannot print google.protobuf.Any');
      const decoded = inner.decode(bytes);
      if (isWkt(inner)) return { '@type': url, value: wktToJson(inner, decoded, codec) };
      return { '@type': url, ...(codec.toJson(inner, decoded) as Record<string, unknown>) };
    }
    default: {
      const f = field(type, 'value');
      return codec.scalarOut(f, (msg as unknown as Record<string, unknown>)[f.name] ?? f.defaultValue);
    }
  }
}
