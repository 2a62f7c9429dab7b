// A minimal creator-match client: run `npm run example:client [-- "interest text"]` while `npm start` serves.
// It uses the typed client in clients/node (types generated from proto/, deadlines, retries on UNAVAILABLE).
import { CreatorMatchClient, type CallError } from '../clients/node/creator-match-client';

const arg = process.argv[2];
if (arg === '--help' || arg === '-h') {
  console.log('usage: npm run example:client -- ["interest text"]   (MATCH_ADDR=host:port, default localhost:50051)');
  process.exit(0);
}

async function main(): Promise<void> {
  const client = new CreatorMatchClient(process.env.MATCH_ADDR ?? 'localhost:50051', { deadlineMs: 10_000 });
  try {
    const res = await client.match({
      request_id: 'example-1',
      interest_text: arg ?? 'I want to learn to cook dumplings at home',
      k: 5,
      filter: { languages: ['en'] },
      include_profile: true,
    });
    console.log(`index ${res.index_version}, model ${res.model_id}, retrieval ${res.retrieval.replace(/^RETRIEVAL_/, '').toLowerCase()}`);
    for (const m of res.matches) console.log(`${m.score.toFixed(3)}  ${m.creator_id}  ${m.profile?.name} (${m.profile?.category})`);
  } catch (err) {
    const e = err as CallError;
    console.error(`${e.reason || e.code}: ${e.details}`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

void main();
