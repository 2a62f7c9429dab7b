import { FairShare } from '../../src/grpc/fair-share';

const tick = () => new Promise((r) => setImmediate(r));

it('a connection gets at most perConnection calls running; the others wait their turn in order', async () => {
  const fair = new FairShare(2);
  const started: string[] = [];
  const release: Array<() => void> = [];
  const job = (name: string, peer = 'a') => fair.run(peer, undefined, () => new Promise<string>((resolve) => { started.push(name); release.push(() => resolve(name)); }));
  const runs = [job('a1'), job('a2'), job('a3'), job('a4'), job('b1', 'b')];
  await tick();
  expect(started).toEqual(['a1', 'a2', 'b1']); // another connection is not queued behind 'a'
  expect(fair.active('a')).toBe(2);
  release.shift()!(); // a1 done -> a3 starts
  await tick();
  expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
  while (release.length) {
    release.shift()!();
    await tick();
  }
  expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
  expect(fair.active('a')).toBe(0);
});

it('a call cancelled while it waits never runs, and its slot is not lost', async () => {
  const fair = new FairShare(1);
  let releaseFirst!: () => void;
  const first = fair.run('p', undefined, () => new Promise<void>((r) => (releaseFirst = r)));
  const controller = new AbortController();
  let ran = false;
  const waiting = fair.run('p', controller.signal, async () => {
    ran = true;
  });
  controller.abort(new DOMException('gone', 'AbortError'));
  await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  releaseFirst();
  await first;
  await fair.run('p', undefined, async () => undefined); // the slot is free again
  expect(ran).toBe(false);
  expect(fair.active('p')).toBe(0);
});
