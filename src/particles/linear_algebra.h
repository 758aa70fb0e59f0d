// The two kernels of an SGD step over a row-major n x d weight array. Built
// for baseline x86-64, x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512), picked
// at load time, so the binary runs on any x86-64 and uses the widest vectors
// the CPU has. v3 and v4 do the same FMAs per lane: the same bits.
#pragma once

namespace mfdd::particles
{
  /// h[i] = <W_i, x> for the n rows W_i of length d.
  void
  multiply_rows(const double *W, unsigned int n, unsigned int d, const double *x, double *h);

  /// W_i += factor[i] x for the n rows W_i of length d (rows with factor[i] = 0 are not touched).
  void
  add_rank_one(double *W, unsigned int n, unsigned int d, const double *factor, const double *x);

  /**
   * add_rank_one(W, n, d, factor, x) followed by multiply_rows(W, n, d, x_next, h)
   * in one sweep over W (each row is updated and multiplied while in cache),
   * with the same operations in the same order, so the same bits. A row with
   * factor[i] = 0 is only read: with a piecewise-linear activation most
   * neurons sit on a flat piece (sigma' = 0), and skipping their update halves
   * the memory traffic of those rows.
   */
  void
  add_rank_one_and_multiply(double       *W,
                            unsigned int  n,
                            unsigned int  d,
                            const double *factor,
                            const double *x,
                            const double *x_next,
                            double       *h);
} // namespace mfdd::particles
