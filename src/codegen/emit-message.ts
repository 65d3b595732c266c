// Emits one message: its interface (the decoded shape) and its codec
// (create, encode, decode, toBinary, fromBinary) as static code over
// protobufjs's Reader and Writer. Function bodies are the same text in
// TypeScript and JavaScript; `ts` adds the annotations.
import protobuf from 'protobufjs';
import { type ValueType, keyFromObject, keyToObject, keyTs, keyType, memberName, realOneof, tagOf, valueType } from './fields.js';
import { docComment } from './names.js';
import type { LongMode, ModuleScope } from './scope.js';

/** MessageParts are the pieces of one message in every output form. */
export interface MessageParts {
  /** types is the interface (TypeScript and declaration files). */
  readonly types: string;
  /** code is the codec constant and its helpers, without `export` (TypeScript when ts was set, else JavaScript). */
  readonly code: string;
  /** decl is the codec's declaration for a declaration file. */
  readonly decl: string;
  /** exported is the name the module exports (interface and codec share it). */
  readonly name: string;
}

/** Field is one member of the generated interface: a plain field or a oneof. */
type Member = { readonly kind: 'field'; readonly field: protobuf.Field } | { readonly kind: 'oneof'; readonly oneof: protobuf.OneOf };

/** membersOf lists a message's members in field-number order (a oneof at its first field). */
function membersOf(type: protobuf.Type): Member[] {
  const out: Member[] = [];
  const seen = new Set<protobuf.OneOf>();
  for (const field of [...type.fieldsArray].filter((f) => !f.declaringField).sort((a, b) => a.id - b.id)) {
    const o = realOneof(field);
    if (!o) out.push({ kind: 'field', field });
    else if (!seen.has(o)) {
      seen.add(o);
      out.push({ kind: 'oneof', oneof: o });
    }
  }
  return out;
}

/** Ctx carries what every field renderer needs. */
interface Ctx {
  readonly scope: ModuleScope;
  readonly long: LongMode;
  readonly ts: boolean;
}

/** fieldTs is the decoded TypeScript type of a field (without optionality). */
function fieldTs(field: protobuf.Field, ctx: Ctx): string {
  const v = valueType(field, ctx.scope, ctx.long);
  if (field instanceof protobuf.MapField) return `{ [key: ${keyTs(field)}]: ${v.ts} }`;
  return field.repeated ? `${v.ts}[]` : v.ts;
}

/** optional tells whether a (non-oneof) field may be undefined in a decoded message. */
function optional(field: protobuf.Field): boolean {
  if (field.repeated || field instanceof protobuf.MapField) return false;
  if (field.resolvedType instanceof protobuf.Type) return true;
  return field.hasPresence && !field.required;
}

/** emitInterface renders the decoded shape. */
function emitInterface(type: protobuf.Type, name: string, ctx: Ctx): string {
  let out = docComment([type.comment ?? `${name} is the message \`${type.fullName.slice(1)}\`.`]);
  out += `export interface ${name} {\n`;
  for (const m of membersOf(type)) {
    if (m.kind === 'field') {
      const f = m.field;
      out += docComment([f.comment], '  ');
      out += optional(f) ? `  ${memberName(f)}?: ${fieldTs(f, ctx)} | undefined;\n` : `  ${memberName(f)}: ${fieldTs(f, ctx)};\n`;
    } else {
      const cases = m.oneof.fieldsArray.map((f) => `{ case: '${memberName(f)}'; value: ${fieldTs(f, ctx)} }`);
      out += docComment([m.oneof.comment ?? `${memberName(m.oneof)} is a oneof: at most one case is set.`], '  ');
      out += `  ${memberName(m.oneof)}?:\n${cases.map((c) => `    | ${c}\n`).join('')}    | undefined;\n`;
    }
  }
  return `${out}}\n`;
}

/** createExpr renders the decoded value of a field built from `init?.<name>`. */
function createExpr(field: protobuf.Field, v: ValueType): string {
  const n = memberName(field);
  const x = `init?.${n}`;
  if (field instanceof protobuf.MapField) {
    const conv = v.kind === 'message' ? v.convert('v') : v.convert(`v ?? ${v.zero}`);
    return `${x} ? $pb.mapValues(init.${n}, (v) => ${conv}) : {}`;
  }
  if (field.repeated) return v.convert('v') === 'v' ? `${x} ? [...init.${n}] : []` : `${x} ? init.${n}.map((v) => ${v.convert('v')}) : []`;
  if (v.kind === 'message') return `${x} != null ? ${v.convert(`init.${n}`)} : undefined`;
  const fallback = optional(field) ? 'undefined' : v.zero;
  return v.convert('v') === 'v' ? `${x} ?? ${fallback}` : `${x} != null ? ${v.convert(`init.${n}`)} : ${fallback}`;
}

/** oneofHelper renders the function converting an init oneof into a decoded one. */
function oneofHelper(o: protobuf.OneOf, helper: string, name: string, ctx: Ctx): string {
  const member = memberName(o);
  const t = (s: string): string => (ctx.ts ? s : '');
  let out = `function ${helper}(o${t(`: NonNullable<$rpc.MessageInit<${name}>['${member}']>`)})${t(`: ${name}['${member}']`)} {\n  switch (o.case) {\n`;
  for (const f of o.fieldsArray) {
    const v = valueType(f, ctx.scope, ctx.long);
    out += `    case '${memberName(f)}':\n      return { case: '${memberName(f)}', value: ${v.convert('o.value')} };\n`;
  }
  out += `    default:\n      return undefined;\n  }\n}\n`;
  return out;
}

/** decodeCases renders the `case TAG:` statements of one field. */
function decodeCases(field: protobuf.Field, v: ValueType, ctx: Ctx): string {
  const n = memberName(field);
  const id = field.id;
  if (field instanceof protobuf.MapField) {
    const k = keyType(field, ctx.long);
    const t = (s: string): string => (ctx.ts ? s : '');
    const vt = v.kind === 'message' ? `${v.ts} | undefined` : v.ts;
    return (
      `        case ${tagOf(id, 2)}: {\n` +
      `          const e = r.uint32() + r.pos;\n` +
      `          let k${t(`: ${k.ts}`)} = ${k.zero};\n` +
      `          let v${t(`: ${vt}`)} = ${v.zero};\n` +
      `          while (r.pos < e) {\n` +
      `            const t = r.uint32();\n` +
      `            if (t === ${tagOf(1, k.wire)}) k = ${k.read('r')};\n` +
      `            else if (t === ${tagOf(2, v.wire)}) v = ${v.read('r')};\n` +
      `            else r.skipType(t & 7);\n` +
      `          }\n` +
      `          m.${n}[${keyToObject(field, 'k')}] = ${v.kind === 'message' ? `v ?? ${v.codec}.create()` : 'v'};\n` +
      `          continue;\n` +
      `        }\n`
    );
  }
  const o = realOneof(field);
  if (o) return `        case ${tagOf(id, v.wire)}:\n          m.${memberName(o)} = { case: '${n}', value: ${v.read('r')} };\n          continue;\n`;
  if (!field.repeated) return `        case ${tagOf(id, v.wire)}:\n          m.${n} = ${v.read('r')};\n          continue;\n`;
  let out = `        case ${tagOf(id, v.wire)}:\n          m.${n}.push(${v.read('r')});\n          continue;\n`;
  if (v.packable) out += `        case ${tagOf(id, 2)}: {\n          const e = r.uint32() + r.pos;\n          while (r.pos < e) m.${n}.push(${v.read('r')});\n          continue;\n        }\n`;
  return out;
}

/** encodeField renders the statements writing one field of message `m`. */
function encodeField(field: protobuf.Field, v: ValueType, ctx: Ctx): string {
  const n = memberName(field);
  const tag = tagOf(field.id, v.wire);
  if (field instanceof protobuf.MapField) {
    const k = keyType(field, ctx.long);
    return (
      `    if (m.${n}) {\n` +
      `      for (const [k, v] of Object.entries(m.${n})) {\n` +
      `        if (v == null) continue;\n` +
      `        w.uint32(${tagOf(field.id, 2)}).fork();\n` +
      `        ${k.write('w', tagOf(1, k.wire), keyFromObject(field, 'k'))}\n` +
      `        ${v.write('w', tagOf(2, v.wire), 'v')}\n` +
      `        w.ldelim();\n` +
      `      }\n` +
      `    }\n`
    );
  }
  if (field.repeated) {
    if (v.packable && field.packed) {
      const one = v.write('w', 0, 'v').replace(/^w\.uint32\(0\)/, 'w');
      return `    if (m.${n} && m.${n}.length) {\n      w.uint32(${tagOf(field.id, 2)}).fork();\n      for (const v of m.${n}) ${one}\n      w.ldelim();\n    }\n`;
    }
    return `    if (m.${n}) for (const v of m.${n}) ${v.write('w', tag, 'v')}\n`;
  }
  // a proto2 required field is always written: left out of an init it is its default, as create() makes it
  if (field.required && v.kind !== 'message') return `    ${v.write('w', tag, `(m.${n} ?? ${v.zero})`)}\n`;
  if (v.kind === 'message' || field.hasPresence) return `    if (m.${n} != null) ${v.write('w', tag, `m.${n}`)}\n`;
  if (v.proto === 'bytes') return `    if (m.${n} && m.${n}.length) ${v.write('w', tag, `m.${n}`)}\n`;
  // only +0 is the implicit default of a float: NaN and -0 are written (`1 / -0 < 0`)
  if (v.proto === 'double' || v.proto === 'float') return `    if (m.${n} != null && (m.${n} !== 0 || 1 / m.${n} < 0)) ${v.write('w', tag, `m.${n}`)}\n`;
  return `    if (m.${n}) ${v.write('w', tag, `m.${n}`)}\n`;
}

/** encodeOneof renders the statements writing the set case of a oneof. */
function encodeOneof(o: protobuf.OneOf, ctx: Ctx): string {
  const member = memberName(o);
  let out = `    const ${member}$ = m.${member};\n    if (${member}$) {\n      switch (${member}$.case) {\n`;
  for (const f of o.fieldsArray) {
    const v = valueType(f, ctx.scope, ctx.long);
    out += `        case '${memberName(f)}':\n          ${v.write('w', tagOf(f.id, v.wire), `${member}$.value`)}\n          break;\n`;
  }
  return `${out}      }\n    }\n`;
}

/** emitMessage renders the interface and codec of one message type. */
export function emitMessage(type: protobuf.Type, scope: ModuleScope, long: LongMode, ts: boolean): MessageParts {
  const ctx: Ctx = { scope, long, ts };
  const name = scope.ref(type);
  if (type.fieldsArray.some((f) => !f.declaringField && f.delimited)) throw new Error(`message ${type.fullName.slice(1)}: groups (delimited fields) are not supported`);
  const t = (s: string): string => (ts ? s : '');
  const members = membersOf(type);
  let helpers = '';
  let create = '';
  let encode = '';
  let decode = '';
  let fresh = '';
  for (const m of members) {
    if (m.kind === 'oneof') {
      const helper = `$${name}$${memberName(m.oneof)}`;
      helpers += oneofHelper(m.oneof, helper, name, ctx);
      create += `      ${memberName(m.oneof)}: init?.${memberName(m.oneof)} != null ? ${helper}(init.${memberName(m.oneof)}) : undefined,\n`;
      fresh += `    ${memberName(m.oneof)}: undefined,\n`;
      encode += encodeOneof(m.oneof, ctx);
      for (const f of m.oneof.fieldsArray) decode += decodeCases(f, valueType(f, scope, long), ctx);
      continue;
    }
    const f = m.field;
    const v = valueType(f, scope, long);
    create += `      ${memberName(f)}: ${createExpr(f, v)},\n`;
    fresh += `    ${memberName(f)}: ${f instanceof protobuf.MapField ? '{}' : f.repeated ? '[]' : optional(f) ? 'undefined' : v.zero},\n`;
    encode += encodeField(f, v, ctx);
    decode += decodeCases(f, v, ctx);
  }
  const full = type.fullName.slice(1);
  const newFn = `$${name}$new`;
  let code = helpers;
  code += `/** ${newFn} builds a message holding only defaults. */\nfunction ${newFn}()${t(`: ${name}`)} {\n  return {\n${fresh}  };\n}\n\n`;
  code += docComment([`${name} is the codec of \`${full}\`: create, encode and decode.`]);
  code += `const ${name}${t(`: $pb.Codec<${name}>`)} = {\n  typeName: '${full}',\n`;
  code += members.length === 0 ? `  create() {\n    return {};\n  },\n` : `  create(init) {\n    return {\n${create}    };\n  },\n`;
  code += encode ? `  encode(m, w = $pb.Writer.create()) {\n${encode}    return w;\n  },\n` : `  encode(_m, w = $pb.Writer.create()) {\n    return w;\n  },\n`;
  code += `  decode(input, length) {\n    const r = $pb.reader(input);\n    const end = length === undefined ? r.len : r.pos + length;\n    const m = ${newFn}();\n    while (r.pos < end) {\n      const tag = r.uint32();\n`;
  code += decode ? `      switch (tag) {\n${decode}      }\n` : '';
  code += `      r.skipType(tag & 7);\n    }\n    return m;\n  },\n`;
  code += `  toBinary(m) {\n    return ${name}.encode(m).finish();\n  },\n  fromBinary(bytes) {\n    return ${name}.decode(bytes);\n  },\n};\n`;
  const decl = `${docComment([`${name} is the codec of \`${full}\`: create, encode and decode.`])}export declare const ${name}: $pb.Codec<${name}>;\n`;
  return { types: emitInterface(type, name, ctx), code, decl, name };
}
