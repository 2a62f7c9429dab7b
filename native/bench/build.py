# python3 build.py <vectors.f32> <n> <dims> <threads>: python3-hnswlib's build of the same vectors.
import sys, time
import numpy as np
import hnswlib

path, n, dims, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = np.fromfile(path, dtype=np.float32, count=n * dims).reshape(n, dims)
index = hnswlib.Index(space="ip", dim=dims)
index.init_index(max_elements=n, ef_construction=200, M=16, random_seed=100)
index.set_num_threads(threads)
started = time.perf_counter()
index.add_items(data, np.arange(n), num_threads=threads)
seconds = time.perf_counter() - started
print(f"build hnswlib-py  threads={threads}: {seconds:.1f} s ({round(n / seconds)} points/s)", flush=True)
