// The inner-product space the engine searches and builds in: hnswlib's InnerProductSpace, with
// its distance function replaced at run time by an AVX-512 or AVX2+FMA kernel when the CPU (and
// the OS) supports it and dims is a multiple of the kernel's width. The addon is compiled for the
// baseline x86-64 (SSE), like Debian's python3-hnswlib; only these two functions carry wider
// target attributes, so the same binary runs everywhere and uses what the machine has.
//
// The kernels sum in a different order than hnswlib's SSE code, so distances can differ from it in
// the last bits and a graph built with them is not byte-identical to hnswlib-node's. simd = false keeps
// hnswlib's function (the interop tests use it to check the byte-identical build).
#pragma once

#include <cstddef>

#include "hnswlib.h"

namespace creator_match {

enum class Kernel { Portable, Avx2, Avx512 };

const char* kernelName(Kernel kernel);

class InnerProductKernelSpace : public hnswlib::SpaceInterface<float> {
 public:
  // With simd, the widest kernel this CPU runs for these dims; without, hnswlib's function.
  InnerProductKernelSpace(size_t dims, bool simd);

  size_t get_data_size() override { return base_.get_data_size(); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return dist_; }
  void* get_dist_func_param() override { return base_.get_dist_func_param(); }
  Kernel kernel() const { return kernel_; }

 private:
  hnswlib::InnerProductSpace base_;
  Kernel kernel_;
  hnswlib::DISTFUNC<float> dist_;
};

}  // namespace creator_match
