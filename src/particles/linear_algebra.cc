#include "linear_algebra.h"

#include <cstddef>

namespace mfdd::particles
{
  // Eight independent partial sums: without them the compiler may not reorder
  // the sum (no -ffast-math) and the dot product would run at one add per
  // latency. The order is fixed, so every row gives the same bits on any rank.
  __attribute__((target_clones("arch=x86-64-v3", "default"))) void
  multiply_rows(const double *__restrict W, unsigned int n, unsigned int d, const double *__restrict x,
                double *__restrict h)
  {
    const unsigned int blocked = d - d % 8;
    for (unsigned int i = 0; i < n; ++i)
      {
        const double *row    = W + std::size_t(i) * d;
        double        acc[8] = {0., 0., 0., 0., 0., 0., 0., 0.};
        for (unsigned int j = 0; j < blocked; j += 8)
          for (unsigned int m = 0; m < 8; ++m)
            acc[m] += row[j + m] * x[j + m];
        double sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for (unsigned int j = blocked; j < d; ++j)
          sum += row[j] * x[j];
        h[i] = sum;
      }
  }

  __attribute__((target_clones("arch=x86-64-v3", "default"))) void
  add_rank_one(double *__restrict W, unsigned int n, unsigned int d, const double *__restrict factor,
               const double *__restrict x)
  {
    // Blocks of 8 with a fixed trip count: no per-row alias checks or peeling.
    const unsigned int blocked = d - d % 8;
    for (unsigned int i = 0; i < n; ++i)
      {
        double *__restrict row = W + std::size_t(i) * d;
        const double       f   = factor[i];
        for (unsigned int j = 0; j < blocked; j += 8)
          for (unsigned int m = 0; m < 8; ++m)
            row[j + m] += f * x[j + m];
        for (unsigned int j = blocked; j < d; ++j)
          row[j] += f * x[j];
      }
  }

  __attribute__((target_clones("arch=x86-64-v3", "default"))) void
  add_rank_one_and_multiply(double *__restrict W, unsigned int n, unsigned int d, const double *__restrict factor,
                            const double *__restrict x, const double *__restrict x_next, double *__restrict h)
  {
    const unsigned int blocked = d - d % 8;
    for (unsigned int i = 0; i < n; ++i)
      {
        double *__restrict row    = W + std::size_t(i) * d;
        const double       f      = factor[i];
        double             acc[8] = {0., 0., 0., 0., 0., 0., 0., 0.};
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
