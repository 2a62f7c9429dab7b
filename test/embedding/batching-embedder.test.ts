import { MicroBatchingEmbedder } from '../../src/embedding/batching-embedder';
import { FakeEmbedder, settle } from './fake-embedder';

const opts = { windowMs: 0, maxBatch: 8, maxInFlight: 1 };

describe('MicroBatchingEmbedder', () => {
  it('runs a lone call at once, merges the calls that arrive while it runs, and gives each caller its own vectors', async () => {
    const inner = new FakeEmbedder();
    const e = new MicroBatchingEmbedder(inner, opts);
    const out = await Promise.all([e.embed(['a']), e.embed(['b', 'c']), e.embed(['d'])]);
    expect(inner.calls).toEqual([['a'], ['b', 'c', 'd']]);
    expect(out).toEqual([[FakeEmbedder.vector('a')], [FakeEmbedder.vector('b'), FakeEmbedder.vector('c')], [FakeEmbedder.vector('d')]]);
  });

  it('queues while a merged call runs and sends what queued as the next one', async () => {
    const inner = new FakeEmbedder();
    inner.gated = true;
    const e = new MicroBatchingEmbedder(inner, opts);
    const first = e.embed(['1']);
    await settle();
    expect(inner.calls).toEqual([['1']]);
    const later = [e.embed(['2']), e.embed(['3']), e.embed(['4'])];
    await settle();
    expect(inner.calls).toHaveLength(1); // still one in flight
    inner.gated = false;
    inner.release();
    await first;
    await Promise.all(later);
    expect(inner.calls).toEqual([['1'], ['2', '3', '4']]);
  });

  it('never merges past maxBatch, and sends a large call straight through', async () => {
    const inner = new FakeEmbedder();
    const e = new MicroBatchingEmbedder(inner, { ...opts, maxBatch: 3, maxInFlight: 2 });
    inner.gated = true;
    const first = [e.embed(['0']), e.embed(['1'])]; // both runs busy
    const rest = [e.embed(['a']), e.embed(['b']), e.embed(['c']), e.embed(['d'])];
    inner.gated = false;
    inner.release();
    await Promise.all([...first, ...rest]);
    expect(inner.calls.map((c) => c.length)).toEqual([1, 1, 3, 1]);
    inner.calls.length = 0;
    await e.embed(['x', 'y', 'z']);
    expect(inner.calls).toEqual([['x', 'y', 'z']]);
  });

  it('waits up to windowMs for company', async () => {
    jest.useFakeTimers();
    try {
      const inner = new FakeEmbedder();
      const e = new MicroBatchingEmbedder(inner, { ...opts, windowMs: 2 });
      const a = e.embed(['a']);
      jest.advanceTimersByTime(1);
      const b = e.embed(['b']);
      expect(inner.calls).toHaveLength(0);
      jest.advanceTimersByTime(1);
      jest.useRealTimers();
      await Promise.all([a, b]);
      expect(inner.calls).toEqual([['a', 'b']]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a caller aborted while queued is rejected and left out; a model error reaches every caller of the merged call', async () => {
    const inner = new FakeEmbedder();
    inner.gated = true;
    const e = new MicroBatchingEmbedder(inner, opts);
    const first = e.embed(['1']);
    await settle();
    const abort = new AbortController();
    const gone = e.embed(['2'], abort.signal);
    const kept = e.embed(['3']);
    abort.abort();
    await expect(gone).rejects.toThrow();
    inner.gated = false;
    inner.release();
    await first;
    await kept;
    expect(inner.calls).toEqual([['1'], ['3']]);

    inner.failNext = new Error('model down');
    const both = [e.embed(['x']), e.embed(['y'])];
    await expect(both[0]).rejects.toThrow('model down');
    await expect(both[1]).rejects.toThrow('model down');
  });
});
