import { parseFan } from '../../tools/eval/fans';
import { fanRequest } from '../../tools/batch-match/batch-match';

describe('a fan line filter (batch-match)', () => {
  it('keeps the creatormatch.v1.Filter fields and passes them into the MatchRequest', () => {
    const fan = parseFan({ fan_id: 'f1', interest_text: 'bread', filter: { languages: ['en'], include_nsfw: true, min_score: 0.2, colour: 'red' } });
    expect(fan.filter).toEqual({ languages: ['en'], include_nsfw: true, min_score: 0.2 });
    expect(fanRequest(fan, { k: 3 })).toMatchObject({ request_id: 'f1', interest_text: 'bread', k: 3, filter: { languages: ['en'], include_nsfw: true, min_score: 0.2 } });
  });

  it('refuses a filter the wire cannot carry', () => {
    expect(() => parseFan({ fan_id: 'f2', interest_text: 'bread', filter: { languages: 'en' } })).toThrow(/languages/);
    expect(() => parseFan({ fan_id: 'f3', interest_text: 'bread', filter: { min_score: 'high' } })).toThrow(/min_score/);
  });
});
