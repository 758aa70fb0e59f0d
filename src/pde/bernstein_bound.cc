// The Bernstein lower bound of a cell polynomial (see the header).
#include <mfdd/pde/bernstein_bound.h>
#include <mfdd/pde/tensor_contraction.h>

#include <deal.II/base/utilities.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/lac/full_matrix.h>

#include <boost/math/special_functions/binomial.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace mfdd::pde
{
  template <int dim>
  BernsteinBound<dim>::BernsteinBound(const unsigned int degree)
    : n_1d(degree + 1)
    , lagrange_to_bernstein(n_1d * n_1d)
  {
    // At n_1d distinct points x_i: Lagrange values A = l_j(x_i) and Bernstein
    // values V = B_m(x_i); the Bernstein coefficients of l_j are V^{-1} A.
    const dealii::FE_DGQ<1>    fe_1d(degree);
    dealii::FullMatrix<double> lagrange(n_1d, n_1d), bernstein(n_1d, n_1d), inverse(n_1d, n_1d), product(n_1d, n_1d);
    for (unsigned int i = 0; i < n_1d; ++i)
      {
        const double x = (i + 0.5) / n_1d;
        for (unsigned int j = 0; j < n_1d; ++j)
          {
            lagrange(i, j)  = fe_1d.shape_value(j, dealii::Point<1>(x));
            bernstein(i, j) = boost::math::binomial_coefficient<double>(degree, j) * std::pow(x, j) *
                              std::pow(1. - x, degree - j);
          }
      }
    inverse.invert(bernstein);
    inverse.mmult(product, lagrange);
    for (unsigned int m = 0; m < n_1d; ++m)
      for (unsigned int j = 0; j < n_1d; ++j)
        lagrange_to_bernstein[m * n_1d + j] = product(m, j);
  }

  template <int dim>
  double
  BernsteinBound<dim>::lower_bound(const double *coefficients) const
  {
    return with_degree(n_1d - 1, [&](auto degree) {
      constexpr unsigned int   n = decltype(degree)::value + 1, size = dealii::Utilities::pow(n, dim);
      std::array<double, size> work, bernstein;
      square_tensor_product<dim, n>(lagrange_to_bernstein.data(), coefficients, work.data(), bernstein.data());
      return *std::min_element(bernstein.begin(), bernstein.end());
    });
  }

  template class BernsteinBound<1>;
  template class BernsteinBound<2>;
  template class BernsteinBound<3>;
} // namespace mfdd::pde
