// The Zhang-Shu positivity limiter: each cell's polynomial is scaled towards
// its mean (which keeps the cell's mass) until it is >= 0 at the limiter
// points.
#include <mfdd/io/input_error.h>
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  double
  Solver<dim>::cell_mass(const double *coefficients, const unsigned int c) const
  {
    return polynomial_value(coefficients, &basis_integrals[std::size_t(c) * n_dofs_per_cell], n_dofs_per_cell);
  }

  template <int dim>
  double
  Solver<dim>::limit_cell(double *coefficients, const unsigned int c, const TensorPointMinimum<dim> *points) const
  {
    const double mean = cell_mass(coefficients, c) / cell_volume[c];
    // Zero or positive on the whole cell: nothing to limit at any points. (Nonnegative
    // Bernstein coefficients average to the mean, so none exceeds (degree +
    // 1)^dim times it, and the bound's round-off stays far below the margin.)
    if (std::all_of(coefficients, coefficients + n_dofs_per_cell, [](double x) { return x == 0.; }) ||
        positivity_bound.lower_bound(coefficients) > 1e-12 * std::abs(mean))
      return mean;
    const double minimum =
      std::min(mean, (points ? *points : limiter_points).minimum(coefficients));
    if (minimum >= 0. || mean < 0.)
      return mean;
    // Scale towards the mean (partition of unity: coefficients are values).
    // The factor 1 - 1e-12 keeps round-off from leaving tiny negative values;
    // near the subnormal range round-off is no longer relative, so a cell with
    // a mean that small is made constant (which keeps its mass too).
    constexpr double near_subnormal = 1e-290;
    const double     theta          = mean < near_subnormal ? 0. : (1. - 1e-12) * mean / (mean - minimum);
    for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
      coefficients[i] = mean + theta * (coefficients[i] - mean);
    return mean;
  }

  template <int dim>
  void
  Solver<dim>::apply_limiter(VectorType &u) const
  {
    // A nearly empty cell can come out with a negative mean from round-off
    // (-6e-16 from cancellation); such a cell is set to 0 if its mass is above
    // -negligible_mass, a few hundred round-offs of the unit total mass (it adds
    // at most that much mass). Noisy stages reach here through
    // apply_noise_limiter, which has already set every negative cell to 0.
    constexpr double negligible_mass = 1e-13;
    double           lowest_mean     = 0.;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        double *coefficients = owned_coefficients(u, c);
        double  mean         = limit_cell(coefficients, c);
        if (mean < 0. && mean * cell_volume[c] > -negligible_mass)
          {
            std::fill_n(coefficients, n_dofs_per_cell, 0.);
            mean = 0.;
          }
        lowest_mean = std::min(lowest_mean, mean);
      }
    lowest_mean = Utilities::MPI::min(lowest_mean, mesh_communicator);
    if (lowest_mean < 0.)
      {
        std::ostringstream message;
        message << "negative cell mean " << lowest_mean << " at t = " << current_time
                << " (CFL too large for positivity? reduce PDE/CFL number)";
        throw io::RunError(message.str());
      }
  }

  template <int dim>
  void
  Solver<dim>::apply_noise_limiter(VectorType &u) const
  {
    double negative = 0., positive = 0.;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const double m = cell_mass(owned_coefficients(u, c), c);
        (m < 0. ? negative : positive) += m;
      }
    negative = Utilities::MPI::sum(negative, mesh_communicator);
    positive = Utilities::MPI::sum(positive, mesh_communicator);
    if (negative < 0.)
      {
        const double factor = (positive + negative) / positive;
        for (unsigned int c = 0; c < n_owned_cells; ++c)
          {
            double *coefficients = owned_coefficients(u, c);
            if (cell_mass(coefficients, c) < 0.)
              std::fill_n(coefficients, n_dofs_per_cell, 0.);
            else
              for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                coefficients[i] *= factor;
          }
      }
    apply_limiter(u);
  }


#define MFDD_INSTANTIATE(dim) \
  template double Solver<dim>::cell_mass(const double *coefficients, const unsigned int c) const; \
  template double Solver<dim>::limit_cell(double *coefficients, const unsigned int c, const TensorPointMinimum<dim> *points) const; \
  template void Solver<dim>::apply_limiter(VectorType &u) const; \
  template void Solver<dim>::apply_noise_limiter(VectorType &u) const;
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
