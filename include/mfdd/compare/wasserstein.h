#pragma once

#include <mfdd/model/reduced_law.h>

#include <vector>

namespace mfdd::compare
{
  /**
   * The distribution function F of a probability law on the real line that
   * is piecewise linear with jumps: F = 0 left of the first knot, 1 right of
   * the last, F(x_k^-) = left[k] and F(x_k^+) = right[k] at knot x_k, and
   * linear on each (x_k, x_{k+1}). This covers both sides of a comparison
   * exactly: the empirical law of weighted points (jumps only) and a density
   * constant on the cells of a uniform grid (continuous, linear per cell).
   */
  class DistributionFunction
  {
  public:
    /// Points x_i with weights w_i (any order, need not sum to one: they are
    /// normalised by their sum, which must be positive).
    static DistributionFunction
    from_points(const std::vector<double> &x, const std::vector<double> &weights);

    /// The density @p values[k] on the cell [lower + k h, lower + (k+1) h],
    /// h = (upper - lower)/n, normalised to total mass one.
    static DistributionFunction
    from_cells(double lower, double upper, const std::vector<double> &values);

    /// F(y^+) and F(y^-).
    double
    right_limit(double y) const;
    double
    left_limit(double y) const;

    const std::vector<double> &
    knots() const
    {
      return x;
    }

  private:
    std::vector<double> x, left, right;
  };

  /// W1(F, G) = integral over R of |F - G|, computed exactly: between
  /// consecutive knots of either function F - G is linear.
  double
  wasserstein1(const DistributionFunction &f, const DistributionFunction &g);

  /**
   * A 2D GridDensity pushed forward onto the line s = <u, z>, u = (cos phi,
   * sin phi), as a density on @p n_bins uniform bins covering the projection
   * of the grid's box. Each cell is treated as uniform on its rectangle, whose
   * projection is the law of a sum of two uniform variables (a trapezoid);
   * each bin receives the exact mass of every trapezoid over it.
   */
  model::GridDensity
  project(const model::GridDensity &grid, double phi, unsigned int n_bins);

  /// The marginal of coordinate @p k (0 or 1) of a 2D GridDensity: exact, a
  /// sum over the other coordinate.
  model::GridDensity
  marginal(const model::GridDensity &grid, unsigned int k);

  /**
   * The law of coordinate @p k (or, in 2D with a direction, of <u, z>) of a
   * snapshot: from its grid if it has one, else from its weighted points.
   */
  DistributionFunction
  distribution_of_coordinate(const model::ReducedLawSnapshot &snapshot, unsigned int dimension, unsigned int k);
  DistributionFunction
  distribution_of_projection(const model::ReducedLawSnapshot &snapshot, double phi);

  /**
   * Sliced W1 in 2D: the mean over @p n_directions equally spaced angles
   * phi_j = pi j / n_directions (j = 0, ..., n-1) of the W1 distance between
   * the projections onto u_j = (cos phi_j, sin phi_j). W1 of a projection is
   * pi-periodic in phi, so this is the trapezoidal rule of the average over
   * all directions, (1/pi) integral_0^pi W1(phi) dphi.
   */
  double
  sliced_wasserstein1(const model::ReducedLawSnapshot &a, const model::ReducedLawSnapshot &b, unsigned int n_directions);
} // namespace mfdd::compare
