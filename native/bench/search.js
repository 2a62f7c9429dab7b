// node search.js <old.node> <new.node> <index file> <dims>: the two addons on the same file,
// interleaved rounds of the same queries; prints per-mode µs/query (median over rounds) and
// the median of the rounds' new/old ratios.
'use strict';
const [oldPath, newPath, file, dimsArg] = process.argv.slice(2);
const dims = Number(dimsArg);
const Old = require(oldPath).NativeHnsw;
const New = require(newPath).NativeHnsw;

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};

(async () => {
  const t0 = process.hrtime.bigint();
  const oldIndex = new Old(dims);
  await oldIndex.load(file);
  const t1 = process.hrtime.bigint();
  const newIndex = new New(dims);
  await newIndex.load(file);
  const t2 = process.hrtime.bigint();
  const n = newIndex.count;
  console.log(`load: old ${(Number(t1 - t0) / 1e6).toFixed(0)} ms, new (validating) ${(Number(t2 - t1) / 1e6).toFixed(0)} ms, ${n} points`);

  // Queries near stored points.
  const rows = await newIndex.vectors(Uint32Array.from({ length: 200 }, () => Math.floor(rand() * n)));
  const queries = Array.from({ length: 200 }, (_, i) => {
    const q = rows.slice(i * dims, (i + 1) * dims).map((x) => x + 0.05 * (rand() - 0.5));
    const s = Math.sqrt(q.reduce((a, x) => a + x * x, 0));
    return q.map((x) => x / s);
  });
  const labels1 = Uint32Array.from({ length: Math.ceil(n / 100) }, () => Math.floor(rand() * n));
  const bitset = new Uint8Array(Math.ceil(n / 8));
  for (let l = 0; l < n; l++) if (rand() < 0.1) bitset[l >> 3] |= 1 << (l & 7);

  // The pre-rewrite addon wanted the bitset's length in bits; later ones refuse that option.
  let oldWantsNbits = true;
  try {
    await oldIndex.search(queries[0], 1, 8, { bitset, nbits: n });
  } catch {
    oldWantsNbits = false;
  }
  const modes = [
    ['ANN k 10 ef 64', (ix, q) => ix.search(q, 10, 64)],
    ['exact over 1% labels', (ix, q) => ix.search(q, 10, 0, { labels: labels1 })],
    ['ANN ef 64, 10% bitset', (ix, q, isOld) => ix.search(q, 10, 64, isOld && oldWantsNbits ? { bitset, nbits: n } : { bitset })],
  ];
  // Rounds alternate which addon goes first; a round's ratio compares two back-to-back batches.
  // CPU time (all threads of this process) is reported next to wall time: on a shared box it is
  // the steadier of the two.
  const ROUNDS = 21;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, run] of modes) {
    const perQuery = { old: { wall: [], cpu: [] }, new: { wall: [], cpu: [] } };
    for (let round = 0; round <= ROUNDS; round++) {
      const order = round % 2 === 0 ? [['old', oldIndex], ['new', newIndex]] : [['new', newIndex], ['old', oldIndex]];
      for (const [who, ix] of order) {
        const cpu0 = process.cpuUsage();
        const wall0 = process.hrtime.bigint();
        for (const q of queries) await run(ix, q, who === 'old');
        const cpu = process.cpuUsage(cpu0);
        if (round === 0) continue; // warm-up
        perQuery[who].wall.push(Number(process.hrtime.bigint() - wall0) / 1e3 / queries.length);
        perQuery[who].cpu.push((cpu.user + cpu.system) / queries.length);
      }
    }
    const ratio = (kind) => median(perQuery.new[kind].map((t, i) => t / perQuery.old[kind][i]));
    console.log(
      `search ${name.padEnd(22)} µs/query wall old ${median(perQuery.old.wall).toFixed(0).padStart(5)} new ${median(perQuery.new.wall).toFixed(0).padStart(5)}` +
        ` | cpu old ${median(perQuery.old.cpu).toFixed(0).padStart(5)} new ${median(perQuery.new.cpu).toFixed(0).padStart(5)}` +
        ` | new/old median ratio: wall ${ratio('wall').toFixed(3)}, cpu ${ratio('cpu').toFixed(3)}`,
    );
    const a = await oldIndex.search(queries[0], 10, 64);
    const b = await newIndex.search(queries[0], 10, 64);
    if (a.labels.join() !== b.labels.join()) throw new Error('old and new addons disagree on the same file');
  }
  oldIndex.close();
  await newIndex.close();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
