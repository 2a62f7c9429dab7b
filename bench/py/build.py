"""python3-hnswlib add_items time and peak RSS. Args: vectors dims m ef_construction threads [n]"""
import json, resource, sys, time
import numpy as np
import hnswlib

vec_file, dims, m, efc, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = np.fromfile(vec_file, dtype=np.float32).reshape(-1, dims)
if len(sys.argv) > 6:
    x = x[: int(sys.argv[6])]
idx = hnswlib.Index(space='ip', dim=dims)
idx.init_index(max_elements=x.shape[0], M=m, ef_construction=efc, random_seed=100)
t0 = time.perf_counter()
idx.add_items(x, np.arange(x.shape[0]), num_threads=threads)
secs = time.perf_counter() - t0
print(json.dumps({'seconds': secs, 'max_rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
