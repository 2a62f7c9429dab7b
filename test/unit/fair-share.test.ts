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

it('a call cancelled after its slot was granted but before it resumed never runs, and passes the slot on', async () => {
  const fair = new FairShare(1);
  let releaseFirst!: () => void;
  const first = fair.run('p', undefined, () => new Promise<void>((r) => (releaseFirst = r)));
  const controller = new AbortController();
  const signal = controller.signal;
  // The grant removes the waiter's abort listener; aborting right there lands the cancel between
  // the grant and the waiter's resumption, as a client's cancel can on a busy server.
  const remove = signal.removeEventListener.bind(signal);
  signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => {
    remove(...args);
    if (!signal.aborted) controller.abort(new DOMException('gone', 'AbortError'));
  });
  let ran = false;
  const granted = fair.run('p', signal, async () => {
    ran = true;
  });
  let thirdRan = false;
  const third = fair.run('p', undefined, async () => {
    thirdRan = true;
  });
  releaseFirst();
  await first;
  await expect(granted).rejects.toMatchObject({ code: 'CANCELLED' });
  await third;
  expect(ran).toBe(false);
  expect(thirdRan).toBe(true); // the slot went on to the next waiter
  expect(fair.active('p')).toBe(0);
});
