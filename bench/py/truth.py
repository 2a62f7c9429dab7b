"""Exact ground truth by brute force (numpy matmul): top-K labels per query by inner product."""
import sys
import numpy as np

vec_file, q_file, out_file, dims, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
x = np.fromfile(vec_file, dtype=np.float32).reshape(-1, dims)
q = np.fromfile(q_file, dtype=np.float32).reshape(-1, dims)
out = np.empty((q.shape[0], k), dtype=np.int32)
for s in range(0, q.shape[0], 256):
    sims = q[s:s + 256] @ x.T
    part = np.argpartition(-sims, k, axis=1)[:, :k]
    ps = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-ps, axis=1, kind='stable')
    out[s:s + 256] = np.take_along_axis(part, order, axis=1)
out.tofile(out_file)
