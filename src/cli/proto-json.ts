// .proto reflection for the command line (protobufjs): load files, find a
// method by name, turn JSON into message bytes and back. Field names follow
// the proto3 JSON mapping (docs/proto-json.md): json_name (lowerCamelCase),
// the proto's snake_case accepted on input; bytes are base64, 64-bit integers
// and enums print as strings; well-known types as in wkt-json.ts.
// Loaded only when a command is given --proto (protobufjs's parser is large).
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import type { MethodKind } from '../call/call.js';
import { CodegenError, loadProtos } from '../codegen/load.js';
import type { RequestCodec } from './call-input.js';
// InputError is declared in the lazily loaded wkt-json.ts, so this module depends on nothing the
// command line loads eagerly; it reports as an input error by its name.
import { InputError, type JsonCodec, isWkt, wktFromJson, wktToJson } from './wkt-json.js';


/** ProtoMethod is one method found in the loaded .proto files. */
export interface ProtoMethod {
  /** path is the full method name `/package.Service/Method`. */
  readonly path: string;
  /** kind is the streaming shape from the `stream` keywords. */
  readonly kind: MethodKind;
  /** requestType is the request message type. */
  readonly requestType: protobuf.Type;
  /** responseType is the response message type. */
  readonly responseType: protobuf.Type;
}

/** loadSchema parses .proto files (imports resolved in protoPaths, default: see defaultProtoPaths in codegen/load.ts); throws InputError naming file and line. */
export function loadSchema(files: readonly string[], protoPaths: readonly string[] = []): protobuf.Root {
  try {
    return loadProtos(files, protoPaths).root;
  } catch (e) {
    if (e instanceof CodegenError) throw new InputError(e.message);
    throw e;
  }
}

/** kindOf returns the streaming shape of a reflected method. */
export function kindOf(m: protobuf.Method): MethodKind {
  if (m.requestStream) return m.responseStream ? 'bidi' : 'client_stream';
  return m.responseStream ? 'server_stream' : 'unary';
}

/** allServices lists every service of a root, in declaration order. */
export function allServices(root: protobuf.Root): protobuf.Service[] {
  const out: protobuf.Service[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) out.push(obj);
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) walk(obj);
    }
  };
  walk(root);
  return out;
}

/** describe turns a reflected method into a ProtoMethod. */
export function describe(service: protobuf.Service, m: protobuf.Method): ProtoMethod {
  m.resolve();
  return { path: `/${service.fullName.slice(1)}/${m.name}`, kind: kindOf(m), requestType: m.resolvedRequestType!, responseType: m.resolvedResponseType! };
}

/**
 * findMethod finds `package.Service/Method` (also `/package.Service/Method`,
 * `package.Service.Method`, or the service's short name when unambiguous);
 * throws InputError listing the known methods when there is no such method.
 */
export function findMethod(root: protobuf.Root, name: string): ProtoMethod {
  const s = name.startsWith('/') ? name.slice(1) : name;
  const slash = s.lastIndexOf('/');
  const dot = s.lastIndexOf('.');
  const cut = slash >= 0 ? slash : dot;
  if (cut <= 0 || cut === s.length - 1) throw new InputError(`method "${name}" is not of the form Service/Method`);
  const svcName = s.slice(0, cut);
  const methodName = s.slice(cut + 1);
  const services = allServices(root);
  const matches = services.filter((x) => x.fullName.slice(1) === svcName || (!svcName.includes('.') && x.name === svcName));
  if (matches.length > 1) throw new InputError(`service "${svcName}" is ambiguous: ${matches.map((x) => x.fullName.slice(1)).join(', ')}`);
  const svc = matches[0];
  const known = services.flatMap((x) => x.methodsArray.map((m) => `${x.fullName.slice(1)}/${m.name}`));
  if (!svc) throw new InputError(`unknown service "${svcName}" (known methods: ${known.join(', ') || 'none'})`);
  const m = svc.methods[methodName];
  if (!m) throw new InputError(`unknown method "${methodName}" in service ${svc.fullName.slice(1)} (known: ${svc.methodsArray.map((x) => x.name).join(', ')})`);
  return describe(svc, m);
}

/** parseJson parses JSON text; throws InputError saying where it came from. */
export function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`invalid JSON in ${origin}: ${(e as Error).message}`);
  }
}

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const INTS = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** jsonName is the name a field prints under: protoc's json_name. */
const jsonName = (f: protobuf.Field): string => f.resolve().jsonName ?? f.name;

/** fieldFor finds a field by its JSON name, its proto (snake_case) name or its loaded name. */
function fieldFor(type: protobuf.Type, key: string): protobuf.Field | undefined {
  for (const f of type.fieldsArray) if (f.name === key || jsonName(f) === key || f.protoName === key) return f;
  return type.fields[camel(key)];
}

/** acceptsNull tells whether JSON null is a value of the field (google.protobuf.Value, NullValue) rather than "not set". */
const acceptsNull = (f: protobuf.Field): boolean => ['.google.protobuf.Value', '.google.protobuf.NullValue'].includes(f.resolvedType?.fullName ?? '');

/** checkValue validates one JSON value against a field type and returns it in protobufjs fromObject form. */
function checkValue(field: protobuf.Field, v: unknown, where: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return normalize(t, v, where);
  if (t instanceof protobuf.Enum) {
    if (v === null && t.fullName === '.google.protobuf.NullValue') return 0;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && v in t.values) return v;
    throw new InputError(`${where}: want one of ${Object.keys(t.values).join(', ')}, got ${JSON.stringify(v)}`);
  }
  const type = field.type;
  if (INTS.has(type)) {
    if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))) return v;
    throw new InputError(`${where}: want an integer, got ${JSON.stringify(v)}`);
  }
  if (type === 'double' || type === 'float') {
    if (typeof v === 'number' || (typeof v === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(v))) return typeof v === 'string' ? Number(v) : v;
    throw new InputError(`${where}: want a number, got ${JSON.stringify(v)}`);
  }
  if (type === 'bool') {
    if (typeof v === 'boolean') return v;
    throw new InputError(`${where}: want true or false, got ${JSON.stringify(v)}`);
  }
  if (typeof v !== 'string') throw new InputError(`${where}: want a ${type === 'bytes' ? 'base64 ' : ''}string, got ${JSON.stringify(v)}`);
  if (type === 'bytes' && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw new InputError(`${where}: want base64, got ${JSON.stringify(v)}`);
  return type === 'bytes' ? v.replace(/-/g, '+').replace(/_/g, '/') : v;
}

/** normalize checks a JSON value against a message type (unknown fields and wrong value types are errors) and returns it in protobufjs fromObject form. */
function normalize(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (isWkt(type)) return wktFromJson(type, json, where, CODEC);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InputError(`${where}: want a JSON object for ${type.fullName.slice(1)}, got ${JSON.stringify(json)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = fieldFor(type, key);
    if (!field) throw new InputError(`${where}: unknown field "${key}" in ${type.fullName.slice(1)} (fields: ${type.fieldsArray.map(jsonName).join(', ') || 'none'})`);
    field.resolve();
    const name = field.name;
    const at = `${where}.${jsonName(field)}`;
    if (value === null && (field.repeated || field.map || !acceptsNull(field))) continue;
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${at}: want a JSON object (map)`);
      out[name] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, checkValue(field, v, `${at}[${k}]`)]));
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new InputError(`${at}: want a JSON array`);
      out[name] = value.map((v, i) => checkValue(field, v, `${at}[${i}]`));
    } else out[name] = checkValue(field, value, at);
  }
  return out;
}

/** floatText prints a 32-bit float with the fewest digits that read back as the same float. */
function floatText(v: number): number {
  for (let p = 1; p < 17; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return n;
  }
  return v;
}

/** scalarOut prints one value of a field (not a message): 64-bit integers as strings, enums by name, bytes as base64. */
function scalarOut(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) return t.fullName === '.google.protobuf.NullValue' ? null : (t.valuesById[v as number] ?? v);
  if (LONGS.has(field.type)) return String(v ?? 0);
  if (field.type === 'bytes') return Buffer.from((v as Uint8Array | undefined) ?? []).toString('base64');
  if (field.type === 'double' || field.type === 'float') {
    const n = v as number;
    if (!Number.isFinite(n)) return String(n);
    return field.type === 'float' ? floatText(n) : n;
  }
  return v;
}

/** valueOut prints one value of a field, a message or a scalar. */
function valueOut(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  return t instanceof protobuf.Type ? toJson(t, v as protobuf.Message) : scalarOut(field, v);
}

/** isDefault tells whether a scalar holds its type's default (not printed for fields without presence). */
function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (v === null || v === undefined || v === 0 || v === false || v === '') return true;
  if (v instanceof Uint8Array) return v.length === 0;
  return LONGS.has(field.type) && String(v) === '0';
}

/** mapKey prints a map key (64-bit keys arrive as protobufjs long hashes). */
function mapKey(field: protobuf.MapField, k: string): string {
  if (LONGS.has(field.keyType) && k.length === 8 && !/^-?\d+$/.test(k)) return protobuf.util.LongBits.fromHash(k).toLong(field.keyType[0] === 'u' || field.keyType === 'fixed64').toString();
  return k;
}

/** toJson prints a decoded message in the proto3 JSON form: fields under their json_name, fields without presence left out at their default. */
function toJson(type: protobuf.Type, msg: protobuf.Message): unknown {
  if (isWkt(type)) return wktToJson(type, msg, CODEC);
  const m = msg as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const v = m[field.name];
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries((v as Record<string, unknown> | undefined) ?? {});
      if (entries.length > 0) out[jsonName(field)] = Object.fromEntries(entries.map(([k, x]) => [mapKey(field, k), valueOut(field, x)]));
    } else if (field.repeated) {
      if (Array.isArray(v) && v.length > 0) out[jsonName(field)] = v.map((x) => valueOut(field, x));
    } else if (hasOwn(m, field.name) && v !== null && v !== undefined) {
      const present = field.resolvedType instanceof protobuf.Type || field.partOf !== null || field.hasPresence;
      if (present || !isDefault(field, v)) out[jsonName(field)] = valueOut(field, v);
    }
  }
  return out;
}

/** CODEC is the generic mapping handed to the well-known types. */
const CODEC: JsonCodec = { fromJson: normalize, toJson, scalarIn: checkValue, scalarOut };

/** jsonToMessage encodes a JSON value as a message of the given type; throws InputError on a mismatch. */
export function jsonToMessage(type: protobuf.Type, json: unknown, origin = 'the request'): Uint8Array {
  const obj = normalize(type, json, origin);
  try {
    return type.encode(type.fromObject(obj)).finish();
  } catch (e) {
    throw new InputError(`${origin}: ${(e as Error).message}`);
  }
}

/** messageToJson decodes message bytes into their proto3 JSON form; throws InputError when the bytes are not such a message. */
export function messageToJson(type: protobuf.Type, bytes: Uint8Array): unknown {
  let msg: protobuf.Message;
  try {
    msg = type.decode(bytes);
  } catch (e) {
    throw new InputError(`cannot decode a ${type.fullName.slice(1)} response: ${(e as Error).message}`);
  }
  return toJson(type, msg);
}

/** jsonCodec reads JSON request messages of a .proto type: a JSON array is one message per element, a file holds one JSON document or JSON lines. */
export function jsonCodec(type: protobuf.Type): RequestCodec {
  const many = (value: unknown, origin: string): Uint8Array[] =>
    Array.isArray(value) ? value.map((v, i) => jsonToMessage(type, v, `${origin}[${i}]`)) : [jsonToMessage(type, value, origin)];
  return {
    fromText: (text, origin) => many(parseJson(text, origin), origin),
    fromFile(path) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new InputError(`cannot read --data @${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        return many(JSON.parse(text), `@${path}`);
      } catch (e) {
        if (e instanceof InputError) throw e;
        const lines = text.split('\n').filter((l) => l.trim() !== '');
        return lines.flatMap((l, i) => many(parseJson(l, `@${path} line ${i + 1}`), `@${path} line ${i + 1}`));
      }
    },
    empty: () => jsonToMessage(type, {}),
  };
}
