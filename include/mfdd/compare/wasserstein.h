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
   * A 2D or 3D GridDensity pushed forward onto the line s = <u, z> for a unit
   * vector @p u (one entry per coordinate), as a density on @p n_bins uniform
   * bins covering the projection of the grid's box. Each cell is treated as
   * uniform on its box, whose projection is the law of a sum of independent
   * uniform variables on [0, |u_k| h_k] (a trapezoid in 2D, piecewise
   * quadratic in 3D); each bin receives the exact mass of every cell over it.
   */
  model::GridDensity
  project(const model::GridDensity &grid, const std::vector<double> &u, unsigned int n_bins);

  /// The marginal of coordinate @p k of a 2D or 3D GridDensity: exact, a sum
  /// over the other coordinates.
  model::GridDensity
  marginal(const model::GridDensity &grid, unsigned int k);

  /**
   * The law of coordinate @p k (or of <u, z>) of a snapshot of reduced
   * dimension @p dimension: from its grid if it has one, else from its
   * weighted points.
   */
  DistributionFunction
  distribution_of_coordinate(const model::ReducedLawSnapshot &snapshot, unsigned int dimension, unsigned int k);
  DistributionFunction
  distribution_of_projection(const model::ReducedLawSnapshot &snapshot, const std::vector<double> &u);

  /**
   * The directions of the sliced W1 in @p dimension 2 or 3, equal-weight
   * rules for the average over the unit sphere (W1 of a projection is the
   * same for u and -u, so half the sphere is enough):
   *  - 2D: u_j = (cos phi_j, sin phi_j), phi_j = pi j / n, the trapezoidal
   *    rule of (1/pi) integral_0^pi W1(phi) dphi;
   *  - 3D: the spherical Fibonacci points of the upper hemisphere,
   *    u_j = (sqrt(1 - c_j^2) cos(j g), sqrt(1 - c_j^2) sin(j g), c_j) with
   *    c_j = (j + 1/2)/n and the golden angle g = pi (3 - sqrt 5): c is
   *    uniform on [0, 1] under the uniform law of the hemisphere, so the
   *    points are equally spaced in area.
   */
  std::vector<std::vector<double>>
  sliced_directions(unsigned int dimension, unsigned int n_directions);

  /// Sliced W1 in 2D or 3D: the mean over sliced_directions() of the W1
  /// distance between the projections of @p a and @p b onto each direction.
  double
  sliced_wasserstein1(const model::ReducedLawSnapshot &a,
                      const model::ReducedLawSnapshot &b,
                      unsigned int                     dimension,
                      unsigned int                     n_directions);
} // namespace mfdd::compare
