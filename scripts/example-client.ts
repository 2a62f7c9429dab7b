// A minimal creator-match client: run `npm run example:client` while `npm start` is serving.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync('creatormatch/v1/creator_match.proto', {
  includeDirs: [path.join(__dirname, '..', 'proto')],
  keepCase: true,
  defaults: true,
  oneofs: true,
  longs: String,
});
const { creatormatch } = grpc.loadPackageDefinition(definition) as any;
const client = new creatormatch.v1.CreatorMatcher(process.env.MATCH_ADDR ?? 'localhost:50051', grpc.credentials.createInsecure());

const request = {
  request_id: 'example-1',
  interest_text: process.argv[2] ?? 'I want to learn to cook dumplings at home',
  k: 5,
  filter: { languages: ['en'] },
  include_profile: true,
};

client.Match(request, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: any) => {
  if (err) {
    console.error(`${grpc.status[err.code]}: ${err.details}`);
    process.exitCode = 1;
  } else {
    console.log(`index ${res.index_version}, model ${res.model_id}`);
    for (const m of res.matches) console.log(`${m.score.toFixed(3)}  ${m.creator_id}  ${m.profile.name} (${m.profile.category})`);
  }
  client.close();
});
