#include "linear_algebra.h"

#include <cstddef>

namespace mfdd::particles
{
  namespace
  {
    // <row, x> by eight independent partial sums: without them the compiler
    // may not reorder the sum (no -ffast-math) and the dot product would run
    // at one add per latency. The order is fixed, so every row gives the same
    // bits on any rank. Inlined, so compiled for the target of each caller.
    __attribute__((always_inline)) inline double
    row_dot(const double *__restrict row, unsigned int d, const double *__restrict x)
    {
      const unsigned int blocked = d - d % 8;
      double             acc[8]  = {0., 0., 0., 0., 0., 0., 0., 0.};
      for (unsigned int j = 0; j < blocked; j += 8)
        for (unsigned int m = 0; m < 8; ++m)
          acc[m] += row[j + m] * x[j + m];
      double sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (unsigned int j = blocked; j < d; ++j)
        sum += row[j] * x[j];
      return sum;
    }

    // row += f x (blocks of 8 with a fixed trip count: no per-row alias checks or peeling).
    __attribute__((always_inline)) inline void
    row_add(double *__restrict row, unsigned int d, double f, const double *__restrict x)
    {
      const unsigned int blocked = d - d % 8;
      for (unsigned int j = 0; j < blocked; j += 8)
        for (unsigned int m = 0; m < 8; ++m)
          row[j + m] += f * x[j + m];
      for (unsigned int j = blocked; j < d; ++j)
        row[j] += f * x[j];
    }
  } // namespace

  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
  multiply_rows(const double *__restrict W, unsigned int n, unsigned int d, const double *__restrict x,
                double *__restrict h)
  {
    for (unsigned int i = 0; i < n; ++i)
      h[i] = row_dot(W + std::size_t(i) * d, d, x);
  }

  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
  add_rank_one(double *__restrict W, unsigned int n, unsigned int d, const double *__restrict factor,
               const double *__restrict x)
  {
    for (unsigned int i = 0; i < n; ++i)
      if (factor[i] != 0.)
        row_add(W + std::size_t(i) * d, d, factor[i], x);
  }

  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
  add_rank_one_and_multiply(double *__restrict W, unsigned int n, unsigned int d, const double *__restrict factor,
                            const double *__restrict x, const double *__restrict x_next, double *__restrict h)
  {
    const unsigned int blocked = d - d % 8;
    for (unsigned int i = 0; i < n; ++i)
      {
        double *__restrict row = W + std::size_t(i) * d;
        const double       f   = factor[i];
        if (f == 0.)
          {
            // Nothing to add (sigma' = 0 there, e.g. a flat piece of a ReLU):
            // only read the row.
            h[i] = row_dot(row, d, x_next);
            continue;
          }
        // The update and the products in one sweep, in the order of row_add and row_dot.
        double acc[8] = {0., 0., 0., 0., 0., 0., 0., 0.};
        for (unsigned int j = 0; j < blocked; j += 8)
          for (unsigned int m = 0; m < 8; ++m)
            {
              row[j + m] += f * x[j + m];
              acc[m] += row[j + m] * x_next[j + m];
            }
        double sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for (unsigned int j = blocked; j < d; ++j)
          {
            row[j] += f * x[j];
            sum += row[j] * x_next[j];
          }
        h[i] = sum;
      }
  }
} // namespace mfdd::particles
