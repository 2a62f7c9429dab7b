import os from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { MatchRequest__Output } from '../contract/creatormatch/v1/MatchRequest';
import { LOADER_OPTIONS, MATCH_PROTO, PROTO_DIR } from './proto';

/**
 * The server's deserializer of MatchRequest (Match and each BatchMatch message): proto-loader's own
 * decode + toObject with LOADER_OPTIONS, except that `vector.values` (repeated float, packed on
 * the wire) is copied straight from the bytes into one Float32Array. proto-loader pushes each
 * float into a growing JS array and toObject copies that array again: for a 512-d vector query
 * that was about 23 KB of garbage per call, a quarter of all a Match allocated (a sampling heap
 * profile of the server under load). The result has the same fields and values; only the type of
 * `vector.values` differs (a Float32Array, which the handlers read as ArrayLike<number>).
 */

const LITTLE_ENDIAN = os.endianness() === 'LE';
const NO_VALUES = new Float32Array(0);

interface DecodedVector {
  values: Float32Array;
}

function invalid(message: string): Error {
  return new Error(`vector.values: ${message}`);
}

/** Floats of a packed field: `bytes` (a multiple of 4) from the reader's position on. */
function packedFloats(reader: protobuf.Reader, bytes: number): Float32Array {
  if (bytes % 4 !== 0) throw invalid(`a packed run of ${bytes} bytes is not a whole number of floats`);
  if (reader.pos + bytes > reader.len) throw invalid('the packed run is longer than the message');
  const out = new Float32Array(bytes / 4);
  const src = reader.buf.subarray(reader.pos, reader.pos + bytes);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(src);
  else {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  reader.skip(bytes);
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** creatormatch.v1.Vector from the wire: packed runs (and, as parsers must accept, unpacked floats), in order. */
function decodeVector(input: protobuf.Reader | Uint8Array, length?: number): DecodedVector {
  const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
  const end = length === undefined ? reader.len : reader.pos + length;
  const parts: Float32Array[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) parts.push(packedFloats(reader, reader.uint32()));
    else if (tag >>> 3 === 1 && (tag & 7) === 5) parts.push(Float32Array.of(reader.float()));
    else reader.skipType(tag & 7);
  }
  return { values: parts.length === 0 ? NO_VALUES : concat(parts) };
}

let deserializer: ((bytes: Buffer) => MatchRequest__Output) | undefined;

/** Bytes → MatchRequest__Output as the handlers receive it (throws on malformed bytes: grpc-js answers INTERNAL). */
export function deserializeMatchRequest(bytes: Buffer): MatchRequest__Output {
  if (!deserializer) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
    root.loadSync(MATCH_PROTO, { keepCase: true });
    root.resolveAll();
    const vector = root.lookupType('creatormatch.v1.Vector');
    const request = root.lookupType('creatormatch.v1.MatchRequest');
    // setup() generates the type's own functions; the two replaced afterwards stay replaced.
    vector.setup();
    request.setup();
    vector.decode = decodeVector as unknown as typeof vector.decode;
    vector.toObject = ((message: DecodedVector) => ({ values: message.values })) as unknown as typeof vector.toObject;
    const options = LOADER_OPTIONS as protobuf.IConversionOptions;
    deserializer = (b) => request.toObject(request.decode(b), options) as MatchRequest__Output;
  }
  return deserializer(bytes);
}

/** A copy of the CreatorMatcher service definition whose Match and BatchMatch read requests with deserializeMatchRequest. */
export function withFastRequestDecoding(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...service };
  for (const name of ['Match', 'BatchMatch']) {
    const method = service[name];
    if (method) out[name] = { ...method, requestDeserialize: deserializeMatchRequest };
  }
  return out;
}
