import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { MatchRequest__Output } from '../contract/creatormatch/v1/MatchRequest';
import { LOADER_OPTIONS, MATCH_PROTO, PROTO_DIR } from './proto';

/**
 * The server's deserializer of MatchRequest (Match and each BatchMatch message): proto-loader's own
 * decode + toObject with LOADER_OPTIONS, except for `vector.values` (repeated float, packed on the
 * wire). proto-loader pushes each float into a growing JS array and toObject copies that array
 * again: for a 512-d vector query that was about 23 KB of garbage per call, a quarter of all a
 * Match allocated (a sampling heap profile of the server under load). Here the floats go from the
 * bytes into one array of exactly their count, which toObject hands on as it is. The result is
 * what proto-loader gives, field for field (test/unit/request-codec.test.ts).
 */

function invalid(message: string): Error {
  return new Error(`vector.values: ${message}`);
}

/** `bytes` (a multiple of 4) of little-endian floats from the reader's position on, in an array made at their count. */
function readPacked(reader: protobuf.Reader, bytes: number): number[] {
  if (bytes % 4 !== 0) throw invalid(`a packed run of ${bytes} bytes is not a whole number of floats`);
  if (reader.pos + bytes > reader.len) throw invalid('the packed run is longer than the message');
  const view = new DataView(reader.buf.buffer, reader.buf.byteOffset + reader.pos, bytes);
  const out = new Array<number>(bytes / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  reader.skip(bytes);
  return out;
}

/** creatormatch.v1.Vector from the wire: packed runs (and, as parsers must accept, unpacked floats), in order. */
function decodeVector(vector: protobuf.Type, input: protobuf.Reader | Uint8Array, length?: number): protobuf.Message {
  const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
  const end = length === undefined ? reader.len : reader.pos + length;
  const parts: number[][] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) parts.push(readPacked(reader, reader.uint32()));
    else if (tag >>> 3 === 1 && (tag & 7) === 5) parts.push([reader.float()]);
    else reader.skipType(tag & 7);
  }
  // One packed run is what every encoder sends: its array as it is.
  return Object.assign(vector.create(), { values: parts.length === 1 ? parts[0]! : parts.flat() });
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
    vector.decode = (input, length) => decodeVector(vector, input, length);
    // The values array is the decoder's own: handed on, not copied.
    vector.toObject = (message) => ({ values: (message as { values?: number[] }).values ?? [] });
    const options: protobuf.IConversionOptions = LOADER_OPTIONS;
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
