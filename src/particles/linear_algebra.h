// The two kernels of an SGD step over a row-major n x d weight array. Built
// for baseline x86-64 and for x86-64-v3 (AVX2 + FMA), picked at load time, so
// the binary runs on any x86-64 and uses FMA where the CPU has it.
#pragma once

namespace mfdd::particles
{
  /// h[i] = <W_i, x> for the n rows W_i of length d.
  void
  multiply_rows(const double *W, unsigned int n, unsigned int d, const double *x, double *h);

  /// W_i += factor[i] x for the n rows W_i of length d.
  void
  add_rank_one(double *W, unsigned int n, unsigned int d, const double *factor, const double *x);
} // namespace mfdd::particles
