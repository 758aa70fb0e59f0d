#include "linear_algebra.h"
#include "vector_registers.h"

#include <cstddef>
#include <cstring>

namespace mfdd::particles
{
  namespace
  {
    typedef double v4d __attribute__((vector_size(32)));
    typedef double v2d __attribute__((vector_size(16)));

    // ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) with two vector
    // additions before the last scalar one (a scalar tree costs 7 additions
    // and as many shuffles per row).
    __attribute__((always_inline)) inline double
    reduce(v8d a)
    {
      const v4d s = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
      const v2d t = __builtin_shufflevector(s, s, 0, 2) + __builtin_shufflevector(s, s, 1, 3);
      return t[0] + t[1];
    }

    // <row, x> by eight independent partial sums: without them the compiler
    // may not reorder the sum (no -ffast-math) and the dot product would run
    // at one add per latency. The order is fixed, so every row gives the same
    // bits on any rank. Inlined, so compiled for the target of each caller.
    __attribute__((always_inline)) inline double
    row_dot(const double *__restrict row, unsigned int d, const double *__restrict x)
    {
      const unsigned int blocked = d - d % 8;
      v8d                acc     = {};
      for (unsigned int j = 0; j < blocked; j += 8)
        acc += load_vector<v8d>(row + j) * load_vector<v8d>(x + j);
      double sum = reduce(acc);
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
        v8d acc = {};
        for (unsigned int j = 0; j < blocked; j += 8)
          {
            const v8d updated = load_vector<v8d>(row + j) + f * load_vector<v8d>(x + j);
            store_vector(row + j, updated);
            acc += updated * load_vector<v8d>(x_next + j);
          }
        double sum = reduce(acc);
        for (unsigned int j = blocked; j < d; ++j)
          {
            row[j] += f * x[j];
            sum += row[j] * x_next[j];
          }
        h[i] = sum;
      }
  }
} // namespace mfdd::particles
