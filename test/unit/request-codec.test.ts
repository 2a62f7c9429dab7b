import protobuf from 'protobufjs';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { deserializeMatchRequest, withFastRequestDecoding } from '../../src/grpc/request-codec';

const match = matcherClientConstructor().service.Match;
const encode = (request: MatchRequest): Buffer => match.requestSerialize(request);
/** proto-loader's own deserializer. */
const reference = (bytes: Buffer): unknown => match.requestDeserialize(bytes);
const plain = (decoded: unknown): unknown => JSON.parse(JSON.stringify(decoded));

describe('MatchRequest deserializer (vector values read once, into an array of their length)', () => {
  const requests: Array<[string, MatchRequest]> = [
    ['a vector query', { request_id: 'r1', vector: { values: [0.5, -1.25, 3, 1e-8, -0] }, k: 7, filter: { categories: ['music'], include_nsfw: true } }],
    ['an empty vector', { request_id: 'r2', vector: { values: [] } }],
    ['a text query', { interest_text: 'lo-fi beats', fan_id: 'f', retrieval: 'RETRIEVAL_HYBRID', explain: true }],
    ['like creators', { like_creators: { ids: ['a', 'b'], weights: [1, 2] }, k: 3 }],
    ['nothing set', {}],
  ];
  it.each(requests)('decodes %s exactly as proto-loader does', (_name, request) => {
    const bytes = encode(request);
    const got = deserializeMatchRequest(bytes);
    expect(got).toEqual(reference(bytes));
    expect(plain(got)).toEqual(plain(reference(bytes)));
    if (request.vector) expect(Array.isArray(got.vector?.values)).toBe(true);
  });

  it('reads 512 floats bit for bit, at any alignment in the buffer', () => {
    const values = Array.from({ length: 512 }, (_, i) => Math.fround(Math.sin(i) * 10 ** ((i % 7) - 3)));
    const bytes = encode({ request_id: 'x'.repeat(3), vector: { values } });
    const shifted = Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
    expect(Array.from(deserializeMatchRequest(shifted).vector!.values)).toEqual(values);
  });

  it('accepts unpacked floats and several packed runs (parsers must), in order', () => {
    const w = protobuf.Writer.create();
    w.uint32((2 << 3) | 2).fork(); // MatchRequest.vector
    w.uint32((1 << 3) | 5).float(1.5); // unpacked
    w.uint32((1 << 3) | 2).fork().float(2).float(3).ldelim(); // packed
    w.uint32((1 << 3) | 2).fork().float(4).ldelim();
    w.ldelim();
    const bytes = Buffer.from(w.finish());
    expect(Array.from(deserializeMatchRequest(bytes).vector!.values)).toEqual([1.5, 2, 3, 4]);
    expect(plain(deserializeMatchRequest(bytes))).toEqual(plain(reference(bytes)));
  });

  it('throws on a packed run that is not whole floats or overruns the message (grpc-js then answers INTERNAL)', () => {
    const ragged = protobuf.Writer.create();
    ragged.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(new Uint8Array(6)).ldelim();
    expect(() => deserializeMatchRequest(Buffer.from(ragged.finish()))).toThrow(/not a whole number of floats/);
    expect(() => deserializeMatchRequest(Buffer.from([0x12, 0x04, 0x0a, 0x08, 0, 0]))).toThrow();
    expect(() => deserializeMatchRequest(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });

  it('replaces the deserializer of Match and BatchMatch only', () => {
    const service = matcherClientConstructor().service;
    const fast = withFastRequestDecoding(service);
    expect(fast.Match!.requestDeserialize).toBe(deserializeMatchRequest);
    expect(fast.BatchMatch!.requestDeserialize).toBe(deserializeMatchRequest);
    for (const name of Object.keys(service).filter((n) => n !== 'Match' && n !== 'BatchMatch')) expect(fast[name]).toBe(service[name]);
    expect(fast.Match!.responseSerialize).toBe(service.Match.responseSerialize);
  });
});
