// A minimal creator-match client: run `npm run example:client` while `npm start` is serving.
// Its types are generated from proto/ by @grpc/proto-loader's proto-loader-gen-types (`npm run proto:gen`).
import * as grpc from '@grpc/grpc-js';
import type { MatchRequest } from '../src/contract/creatormatch/v1/MatchRequest';
import { matcherClientConstructor } from '../src/grpc/proto';

const CreatorMatcher = matcherClientConstructor();
const client = new CreatorMatcher(process.env.MATCH_ADDR ?? 'localhost:50051', grpc.credentials.createInsecure());

const request: MatchRequest = {
  request_id: 'example-1',
  interest_text: process.argv[2] ?? 'I want to learn to cook dumplings at home',
  k: 5,
  filter: { languages: ['en'] },
  include_profile: true,
};

client.Match(request, { deadline: Date.now() + 10_000 }, (err, res) => {
  if (err || !res) {
    console.error(err ? `${grpc.status[err.code]}: ${err.details}` : 'no response');
    process.exitCode = 1;
  } else {
    console.log(`index ${res.index_version}, model ${res.model_id}`);
    for (const m of res.matches) console.log(`${m.score.toFixed(3)}  ${m.creator_id}  ${m.profile?.name} (${m.profile?.category})`);
  }
  client.close();
});
