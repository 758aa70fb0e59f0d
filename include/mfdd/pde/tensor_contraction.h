// Sum factorisation for the polynomials of FE_DGQ (tensor products of 1D
// Lagrange polynomials, DoFs lexicographic): a tensor-product matrix applied
// one direction at a time, shared by the limiter's point minimum, the
// Bernstein bound, the density at the Gauss points and the face values of
// NodalFaceTrace, and the dispatch on the degree that makes their sizes
// compile-time constants.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <type_traits>

namespace mfdd::pde
{
  namespace internal
  {
    /// out[a + done (p + m b)] = sum_i values[p n + i] in[a + done (i + n b)],
    /// with n known at compile time. Measured on the 3D shipped file to
    /// T = 0.05 on one rank: the limiter's time 7.61 s with n at run time,
    /// 3.48 s at compile time.
    template <unsigned int n>
    void
    contract(const double *values, const double *in, double *out, const std::size_t done, const std::size_t m,
             const std::size_t left)
    {
      for (std::size_t b = 0; b < left; ++b)
        for (std::size_t p = 0; p < m; ++p)
          {
            double *const       target = out + done * (p + m * b);
            const double *const source = in + done * n * b;
            const double *const row    = values + p * n;
            for (std::size_t a = 0; a < done; ++a)
              {
                double sum = 0.;
                for (unsigned int i = 0; i < n; ++i)
                  sum += row[i] * source[a + done * i];
                target[a] = sum;
              }
          }
    }

    /// contract() with every size known at compile time and a square matrix
    /// (unrolled): out[a + done (p + n b)] = sum_i matrix[p n + i] in[a + done (i + n b)].
    template <unsigned int n, unsigned int done, unsigned int left>
    inline void
    contract_square(const double *matrix, const double *in, double *out)
    {
      for (unsigned int b = 0; b < left; ++b)
        for (unsigned int p = 0; p < n; ++p)
          for (unsigned int a = 0; a < done; ++a)
            {
              double sum = 0.;
              for (unsigned int i = 0; i < n; ++i)
                sum += matrix[p * n + i] * in[a + done * (i + n * b)];
              out[a + done * (p + n * b)] = sum;
            }
    }
  } // namespace internal

  /// out = (M x ... x M) in for the row-major n x n matrix M and n^dim
  /// entries (the first index fastest); @p work holds n^dim entries and may
  /// not be @p in or @p out.
  template <int dim, unsigned int n>
  void
  square_tensor_product(const double *matrix, const double *in, double *work, double *out)
  {
    if constexpr (dim == 1)
      internal::contract_square<n, 1, 1>(matrix, in, out);
    else if constexpr (dim == 2)
      {
        internal::contract_square<n, 1, n>(matrix, in, work);
        internal::contract_square<n, n, 1>(matrix, work, out);
      }
    else
      {
        internal::contract_square<n, 1, n * n>(matrix, in, out);
        internal::contract_square<n, n, n>(matrix, out, work);
        internal::contract_square<n, n * n, 1>(matrix, work, out);
      }
  }

  /// Calls @p f with the FE_DGQ degree (1 to 5, as PDE/Degree allows) as a
  /// compile-time constant: sum factorisation unrolls its loops only then.
  template <typename Function>
  auto
  with_degree(const unsigned int degree, const Function &f)
  {
    switch (degree)
      {
        case 1:
          return f(std::integral_constant<int, 1>());
        case 2:
          return f(std::integral_constant<int, 2>());
        case 3:
          return f(std::integral_constant<int, 3>());
        case 4:
          return f(std::integral_constant<int, 4>());
        case 5:
          return f(std::integral_constant<int, 5>());
        default:
          throw std::invalid_argument("PDE/Degree must be 1 to 5");
      }
  }

  /// The smallest entry of (A_{dim-1} x ... x A_0) u, with A_d the row-major
  /// rows[d] x n_1d matrix @p matrices[d] and u the n_1d^dim coefficients
  /// (the first index fastest); @p work_1 and @p work_2 hold at least the
  /// product over d of max(rows[d], n_1d) entries each.
  template <int dim>
  double
  tensor_product_minimum(const std::array<const double *, dim> &matrices, const std::array<std::size_t, dim> &rows,
                         const unsigned int n_1d, const double *u, double *work_1, double *work_2)
  {
    // Direction d turns the index i_d into the row index p_d: the array is
    // [p_0..p_{d-1}][i_d][i_{d+1}..] with the first fastest.
    const double *in   = u;
    double       *out  = work_1;
    std::size_t   done = 1, left = 1; // product of rows[k] (k < d), of n_1d (k > d)
    for (unsigned int k = 1; k < dim; ++k)
      left *= n_1d;
    for (unsigned int d = 0; d < dim; ++d)
      {
        with_degree(n_1d - 1, [&](auto degree) {
          internal::contract<decltype(degree)::value + 1>(matrices[d], in, out, done, rows[d], left);
        });
        done *= rows[d];
        if (d + 1 < dim)
          left /= n_1d;
        in  = out;
        out = (out == work_1) ? work_2 : work_1;
      }
    return *std::min_element(in, in + done);
  }
} // namespace mfdd::pde
