#include "ip_space.h"

#include <immintrin.h>

namespace creator_match {
namespace {

// 1 - <a, b> over n floats, n a multiple of 16; two accumulators hide the FMA latency.
__attribute__((target("avx512f"))) float innerProductDistanceAvx512(const void* a, const void* b, const void* dims) {
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  const size_t n = *static_cast<const size_t*>(dims);
  __m512 s0 = _mm512_setzero_ps();
  __m512 s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), s1);
  }
  if (i < n) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), s0);
  return 1.0f - _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

// 1 - <a, b> over n floats, n a multiple of 8.
__attribute__((target("avx2,fma"))) float innerProductDistanceAvx2(const void* a, const void* b, const void* dims) {
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  const size_t n = *static_cast<const size_t*>(dims);
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
  }
  if (i < n) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
  const __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return 1.0f - _mm_cvtss_f32(h);
}

// __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
bool runsAvx512() { return __builtin_cpu_supports("avx512f"); }
bool runsAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

Kernel choose(size_t dims, bool simd) {
  if (!simd) return Kernel::Portable;
  if (dims % 16 == 0 && runsAvx512()) return Kernel::Avx512;
  if (dims % 8 == 0 && runsAvx2()) return Kernel::Avx2;
  return Kernel::Portable;
}

}  // namespace

const char* kernelName(Kernel kernel) {
  switch (kernel) {
    case Kernel::Avx512: return "avx512";
    case Kernel::Avx2: return "avx2";
    case Kernel::Portable: break;
  }
  return "portable";
}

InnerProductKernelSpace::InnerProductKernelSpace(size_t dims, bool simd)
    : base_(dims), kernel_(choose(dims, simd)), dist_(base_.get_dist_func()) {
  if (kernel_ == Kernel::Avx512) dist_ = innerProductDistanceAvx512;
  if (kernel_ == Kernel::Avx2) dist_ = innerProductDistanceAvx2;
}

}  // namespace creator_match
