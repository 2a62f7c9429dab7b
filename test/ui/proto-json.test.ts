import { MatchError } from '../../src/errors/match-error';
import { loadMatchPackageDefinition, MATCHER_SERVICE } from '../../src/grpc/proto';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { MatchRequest__Output } from '../../src/contract/creatormatch/v1/MatchRequest';
import { binaryToJson, jsonToBinary, shortestFloat32 } from '../../src/ui/proto-json';

const def = loadMatchPackageDefinition()[MATCHER_SERVICE] as unknown as Record<string, MethodDefinition<unknown, unknown>>;
/** What the gRPC handler would get for this JSON: JSON → binary → the method's own deserializer. */
const asHandlerSees = (json: unknown): MatchRequest__Output => def.Match!.requestDeserialize(jsonToBinary('MatchRequest', json)) as MatchRequest__Output;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MatchError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('did not throw');
}

describe('proto3 JSON mapping of creatormatch.v1', () => {
  it('accepts proto field names and lowerCamelCase names, and gives the handler what gRPC would', () => {
    const snake = asHandlerSees({ interest_text: 'knitting', k: 3, include_profile: true, filter: { min_score: 0.5, categories: ['crafts'] }, retrieval: 'RETRIEVAL_HYBRID', variant: 'b' });
    const camel = asHandlerSees({ interestText: 'knitting', k: '3', includeProfile: true, filter: { minScore: 0.5, categories: ['crafts'] }, retrieval: 3, variant: 'b' });
    expect(camel).toEqual(snake);
    expect(snake).toMatchObject({ query: 'interest_text', interest_text: 'knitting', k: 3, include_profile: true, retrieval: 'RETRIEVAL_HYBRID', fan_id: '', diversity: 0, explain: false });
    expect(snake.filter).toMatchObject({ categories: ['crafts'], include_nsfw: false, min_score: 0.5 });
  });

  it('carries NaN and infinities as the strings of the mapping (the service then refuses them as it does over gRPC)', () => {
    const r = asHandlerSees({ vector: { values: [1, 'NaN', 'Infinity', '-Infinity', '0.25'] } });
    expect(r.vector!.values[0]).toBe(1);
    expect(r.vector!.values[1]).toBeNaN();
    expect(r.vector!.values.slice(2)).toEqual([Infinity, -Infinity, 0.25]);
  });

  it('null means unset; an absent min_score stays unset', () => {
    const r = asHandlerSees({ interest_text: 'x', filter: { min_score: null }, k: null });
    expect(r.k).toBe(0);
    expect(r.filter?.min_score).toBeUndefined();
  });

  it.each([
    [{ interest_text: 'x', colour: 'red' }, /colour: unknown field of MatchRequest/],
    [{ interest_text: 'x', filter: { category: ['a'] } }, /filter\.category: unknown field of Filter/],
    [{ interest_text: 'x', vector: { values: [1] } }, /interest_text and vector are both set/],
    [{ interest_text: 'x', interestText: 'y' }, /set twice/],
    [{ interest_text: 3 }, /interest_text: must be a string/],
    [{ k: -1 }, /-1 is out of range for uint32/],
    [{ k: 1.5 }, /k: uint32 must be an integer/],
    [{ k: 2 ** 32 }, /out of range for uint32/],
    [{ include_profile: 'yes' }, /include_profile: must be true or false/],
    [{ retrieval: 'FAST' }, /unknown Retrieval value "FAST"/],
    [{ vector: { values: [1, 'abc'] } }, /vector\.values\[1\]: must be a number/],
    [{ vector: { values: 1 } }, /vector\.values: must be an array/],
    [[1, 2], /must be a JSON object/],
  ])('refuses %j as INVALID_BODY naming the field', (json, message) => {
    expect(reason(() => jsonToBinary('MatchRequest', json))).toMatch(new RegExp(`^INVALID_BODY: .*${message.source}`));
  });

  it('prints proto field names, defaults, enums by name, 64-bit integers as strings and floats as their shortest float32 decimal', () => {
    const response = {
      request_id: 'r',
      matches: [{ creator_id: 'cr_1', score: Math.fround(0.682), profile: null, explanation: { dense_score: Math.fround(0.1), dense_rank: 2, lexical_score: 0, lexical_rank: 0, fused_score: Math.fround(1 / 3), lexical_weight: 0 } }],
      index_version: 'v',
      model_id: 'm',
      error: null,
      variant: 'default',
      retrieval: 'RETRIEVAL_DENSE',
    };
    const json = binaryToJson('MatchResponse', def.Match!.responseSerialize(response));
    expect(json).toEqual({ ...response, matches: [{ ...response.matches[0], score: 0.682, explanation: { ...response.matches[0]!.explanation, dense_score: 0.1, fused_score: 0.33333334 } }] });
    const info = binaryToJson('IndexInfo', def.GetIndexInfo!.responseSerialize({ version: 'v', creator_count: '12345678901' }));
    expect(info).toMatchObject({ version: 'v', creator_count: '12345678901', default_retrieval: 'RETRIEVAL_UNSPECIFIED', categories: [], hnsw: null });
  });

  it('shortestFloat32 reads back as the same float32', () => {
    for (const x of [0.1, 0.682, 1 / 3, 1e-7, 123456.789, -0.5, 0]) {
      const f = Math.fround(x);
      expect(Math.fround(shortestFloat32(f))).toBe(f);
      expect(String(shortestFloat32(f)).length).toBeLessThanOrEqual(12);
    }
  });
});
