// Evaluation of a DG cell polynomial from a shape table, shared by the
// limiter, the cell tables and the diagnostics.
#pragma once

namespace mfdd::pde
{
  /// A cell's polynomial at one point: sum_i coefficients[i] shape[i], with
  /// shape one row (n_dofs values) of a shape table.
  inline double
  polynomial_value(const double *coefficients, const double *shape, const unsigned int n_dofs)
  {
    double value = 0.;
    for (unsigned int i = 0; i < n_dofs; ++i)
      value += coefficients[i] * shape[i];
    return value;
  }
} // namespace mfdd::pde
