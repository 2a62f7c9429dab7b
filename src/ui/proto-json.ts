import path from 'node:path';
import protobuf from 'protobufjs';
import { MatchError } from '../errors/match-error';
import { MATCH_PROTO, PROTO_DIR } from '../grpc/proto';

/**
 * The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) of creatormatch.v1
 * messages, driven by the same .proto file the gRPC server loads.
 *
 * Parsing accepts what the mapping says a parser must: the proto field name (`interest_text`) or
 * its lowerCamelCase JSON name (`interestText`), `null` for "not set", enums by name or number,
 * 64-bit integers as strings or numbers, floats as numbers or "NaN" / "Infinity" / "-Infinity" /
 * numeric strings. Unknown fields, two members of one oneof, wrong types and out-of-range
 * integers are INVALID_BODY errors naming the field.
 *
 * Printing uses the proto field names (the mapping's "use proto field name" option, as the
 * generated types in src/contract and the README's examples do), emits fields with default values,
 * enums as names, 64-bit integers as strings, and a float as the shortest decimal that reads back
 * as the same 32-bit float (0.682, not 0.6819999814033508).
 */

export type JsonObject = Record<string, unknown>;

let root: protobuf.Root | undefined;

function protoRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
    root.loadSync(MATCH_PROTO, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** A message type of package creatormatch.v1 by its short name (MatchRequest, IndexInfo, …). */
export function messageType(name: string): protobuf.Type {
  return protoRoot().lookupType(`creatormatch.v1.${name}`);
}

const invalid = (where: string, what: string): MatchError => new MatchError('INVALID_BODY', `${where}: ${what}`);

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

function parseInteger(value: unknown, type: string, where: string): number | string {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : undefined) : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? value.trim() : undefined;
  if (text === undefined) throw invalid(where, `${type} must be an integer (a number or a string of digits), got ${JSON.stringify(value)}`);
  if (INT64.has(type)) {
    const n = BigInt(text);
    const unsigned = type === 'uint64' || type === 'fixed64';
    if (unsigned ? n < 0n || n >= 2n ** 64n : n < -(2n ** 63n) || n >= 2n ** 63n) throw invalid(where, `${text} is out of range for ${type}`);
    return text;
  }
  const [min, max] = INT_RANGES[type]!;
  const n = Number(text);
  if (n < min || n > max) throw invalid(where, `${text} is out of range for ${type}`);
  return n;
}

function parseFloatValue(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw invalid(where, `must be a number (or "NaN", "Infinity", "-Infinity"), got ${JSON.stringify(value)}`);
}

function parseScalar(field: protobuf.Field, value: unknown, where: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string') {
      if (!(value in resolved.values)) throw invalid(where, `unknown ${resolved.name} value ${JSON.stringify(value)}; one of ${Object.keys(resolved.values).join(', ')}`);
      return resolved.values[value];
    }
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    throw invalid(where, `must be a ${resolved.name} name or number, got ${JSON.stringify(value)}`);
  }
  if (resolved instanceof protobuf.Type) return parseMessage(resolved, value, where);
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(where, `must be a string, got ${JSON.stringify(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(where, `must be true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'float':
    case 'double':
      return parseFloatValue(value, where);
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw invalid(where, 'must be a base64 string');
      return Buffer.from(value, 'base64');
    default:
      return parseInteger(value, field.type, where);
  }
}

/** A JSON value as the plain object protobufjs' Type.fromObject takes (proto field names). */
function parseMessage(type: protobuf.Type, value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where || type.name, `must be a JSON object (${type.name})`);
  const byName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    byName.set(protobuf.util.camelCase(f.name), f);
  }
  const out: JsonObject = {};
  const oneofSet = new Map<string, string>();
  for (const [key, raw] of Object.entries(value as JsonObject)) {
    const field = byName.get(key);
    const at = where ? `${where}.${key}` : key;
    if (!field) throw invalid(at, `unknown field of ${type.name}`);
    if (field.name in out) throw invalid(at, `set twice (as ${field.name} and ${protobuf.util.camelCase(field.name)})`);
    if (raw === null) continue;
    const oneof = field.partOf;
    if (oneof && !(oneof.name.startsWith('_') && oneof.fieldsArray.length === 1)) {
      const other = oneofSet.get(oneof.name);
      if (other !== undefined) throw invalid(at, `${other} and ${field.name} are both set, but only one of the oneof ${oneof.name} may be`);
      oneofSet.set(oneof.name, field.name);
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) throw invalid(at, 'must be an array');
      out[field.name] = raw.map((v, i) => parseScalar(field, v, `${at}[${i}]`));
    } else if (field.map) {
      throw invalid(at, 'map fields are not supported');
    } else out[field.name] = parseScalar(field, raw, at);
  }
  return out;
}

/** Parses a proto3 JSON value into the binary message (what a gRPC client would send). */
export function jsonToBinary(typeName: string, value: unknown): Buffer {
  const type = messageType(typeName);
  const message = type.fromObject(parseMessage(type, value, ''));
  return Buffer.from(type.encode(message).finish());
}

/** The shortest decimal that reads back as the same float32 (what a float field holds). */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

function printValue(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return value === null || value === undefined ? null : printMessage(field.resolvedType, value as JsonObject);
  if (field.type === 'float' && typeof value === 'number') return Number.isFinite(value) ? shortestFloat32(value) : String(value);
  if (field.type === 'double' && typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function printMessage(type: protobuf.Type, object: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    if (field.repeated) out[field.name] = Array.isArray(value) ? value.map((v) => printValue(field, v)) : [];
    else if (value !== undefined) out[field.name] = printValue(field, value);
  }
  return out;
}

/** The proto3 JSON form of a binary message (as a gRPC client would decode it). */
export function binaryToJson(typeName: string, bytes: Uint8Array): JsonObject {
  const type = messageType(typeName);
  const object = type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: true, arrays: true, oneofs: false });
  return printMessage(type, object);
}
