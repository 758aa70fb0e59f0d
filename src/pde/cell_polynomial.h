// Evaluation of a DG cell polynomial from a shape table, shared by the
// operator, the limiter, the adaptivity and the diagnostics.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

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

  /// The smallest value of a cell's polynomial at the points of a shape table ([p][i]).
  inline double
  minimum_value(const double *coefficients, const std::vector<double> &shape_at_points, const unsigned int n_dofs)
  {
    double minimum = std::numeric_limits<double>::max();
    for (std::size_t p = 0; p < shape_at_points.size(); p += n_dofs)
      minimum = std::min(minimum, polynomial_value(coefficients, &shape_at_points[p], n_dofs));
    return minimum;
  }
} // namespace mfdd::pde
