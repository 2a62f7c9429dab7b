"""ANN sweep for Debian's python3-hnswlib and python3-faiss on the bench corpus.

Usage: ann.py CONFIG_JSON  (keys: vectors, queries, dims, truth, truth_k, k, efs, threads,
hnsw_index, faiss_index, m, ef_construction, filters [{name, mod}], flat, faiss_hnsw)
Prints one JSON object per line: {lib, mode, threads, ef, filter, recall, qps, p50_ms, p99_ms}.
Latency percentiles come from one query per call (threads=1); the all-cores rows are one batch call.
"""
import json, os, sys, time
import numpy as np

cfg = json.loads(sys.argv[1])
dims, k = cfg['dims'], cfg['k']
x = np.fromfile(cfg['vectors'], dtype=np.float32).reshape(-1, dims)
q = np.fromfile(cfg['queries'], dtype=np.float32).reshape(-1, dims)[: cfg.get('nq', 10**9)]
truth = np.fromfile(cfg['truth'], dtype=np.int32).reshape(-1, cfg['truth_k'])[: q.shape[0], :k]
n = x.shape[0]

def emit(**row):
    print(json.dumps(row), flush=True)

def recall(labels, tr):
    hit = 0
    for i in range(labels.shape[0]):
        hit += len(set(labels[i, :k].tolist()) & set(tr[i].tolist()))
    return hit / (labels.shape[0] * k)

def single(fn):
    lat = np.empty(q.shape[0])
    out = np.empty((q.shape[0], k), dtype=np.int64)
    t0 = time.perf_counter()
    for i in range(q.shape[0]):
        s = time.perf_counter()
        out[i] = fn(q[i:i + 1])
        lat[i] = time.perf_counter() - s
    total = time.perf_counter() - t0
    return out, q.shape[0] / total, float(np.percentile(lat, 50) * 1e3), float(np.percentile(lat, 99) * 1e3)

def batch(fn):
    t0 = time.perf_counter()
    out = fn(q)
    total = time.perf_counter() - t0
    return out, q.shape[0] / total

filters = cfg.get('filters', [])
ftruth = {}
for f in filters:
    allowed = np.nonzero(np.arange(n) % f['mod'] == 0)[0]
    sims = q @ x[allowed].T
    ftruth[f['name']] = (allowed, allowed[np.argsort(-sims, axis=1)[:, :k]])

# --- hnswlib (the very graph hnswlib-node built: same file format) ---
if cfg.get('hnsw_index'):
    import hnswlib
    idx = hnswlib.Index(space='ip', dim=dims)
    idx.load_index(cfg['hnsw_index'], max_elements=n)
    for ef in cfg['efs']:
        idx.set_ef(max(ef, k))
        out, qps, p50, p99 = single(lambda v: idx.knn_query(v, k=k, num_threads=1)[0][0])
        emit(lib='python3-hnswlib', mode='knn_query, 1 query/call', threads=1, ef=ef, filter='none', recall=recall(out, truth), qps=qps, p50_ms=p50, p99_ms=p99)
        for t in cfg['threads']:
            if t == 1:
                continue
            out, qps = batch(lambda m: idx.knn_query(m, k=k, num_threads=t)[0])
            emit(lib='python3-hnswlib', mode='knn_query, batch', threads=t, ef=ef, filter='none', recall=recall(out, truth), qps=qps)
    del idx

# --- faiss ---
import faiss
if cfg.get('faiss_hnsw'):
    path = cfg['faiss_index']
    if os.path.exists(path):
        index = faiss.read_index(path)
    else:
        faiss.omp_set_num_threads(max(cfg['threads']))
        index = faiss.IndexHNSWFlat(dims, cfg['m'], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = cfg['ef_construction']
        t0 = time.perf_counter()
        index.add(x)
        print(json.dumps({'faiss_build_s': time.perf_counter() - t0}), file=sys.stderr)
        faiss.write_index(index, path)
    for ef in cfg['efs']:
        index.hnsw.efSearch = max(ef, k)
        faiss.omp_set_num_threads(1)
        out, qps, p50, p99 = single(lambda v: index.search(v, k)[1][0])
        emit(lib='python3-faiss IndexHNSWFlat', mode='search, 1 query/call', threads=1, ef=ef, filter='none', recall=recall(out, truth), qps=qps, p50_ms=p50, p99_ms=p99)
        for t in cfg['threads']:
            if t == 1:
                continue
            faiss.omp_set_num_threads(t)
            out, qps = batch(lambda m: index.search(m, k)[1])
            emit(lib='python3-faiss IndexHNSWFlat', mode='search, batch', threads=t, ef=ef, filter='none', recall=recall(out, truth), qps=qps)
        faiss.omp_set_num_threads(1)
        for f in (filters if ef in cfg.get('filter_efs', cfg['efs']) else []):
            allowed, ft = ftruth[f['name']]
            sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(ef, k))
            out, qps, p50, p99 = single(lambda v: index.search(v, k, params=params)[1][0])
            emit(lib='python3-faiss IndexHNSWFlat', mode='search + IDSelector', threads=1, ef=ef, filter=f['name'], recall=recall(out, ft), qps=qps, p50_ms=p50, p99_ms=p99)

if cfg.get('flat'):
    flat = faiss.IndexFlatIP(dims)
    flat.add(x)
    faiss.omp_set_num_threads(1)
    sub = q[: min(200, q.shape[0])]
    lat = []
    t0 = time.perf_counter()
    for i in range(sub.shape[0]):
        s = time.perf_counter(); flat.search(sub[i:i + 1], k); lat.append(time.perf_counter() - s)
    qps = sub.shape[0] / (time.perf_counter() - t0)
    emit(lib='python3-faiss IndexFlatIP (exact)', mode='search, 1 query/call', threads=1, ef=0, filter='none', recall=1.0, qps=qps, p50_ms=float(np.percentile(lat, 50) * 1e3), p99_ms=float(np.percentile(lat, 99) * 1e3))
    for t in cfg['threads']:
        faiss.omp_set_num_threads(t)
        out, qps = batch(lambda m: flat.search(m, k)[1])
        emit(lib='python3-faiss IndexFlatIP (exact)', mode='search, batch', threads=t, ef=0, filter='none', recall=recall(out, truth), qps=qps)
