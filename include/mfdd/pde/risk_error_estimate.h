// The error estimate of a PDE run's own risk curve (PDE/Risk error estimate):
// Richardson extrapolation against a companion solve on a coarser mesh
// (doc/theory.md §7).
#pragma once

#include <mfdd/pde/parameters.h>

#include <optional>
#include <string>
#include <vector>

namespace mfdd::pde
{
  /// Solver parameters on a coarser mesh and how much coarser it is.
  struct CoarserMesh
  {
    SolverParameters parameters;
    /// h_coarse / h (geometric mean over the coordinates where the box's
    /// subdivisions do not divide evenly).
    double ratio = 1.;
  };

  /**
   * @p parameters of a problem with @p dim reduced coordinates on the mesh
   * coarsened once: one global refinement fewer (the adaptive level bounds
   * follow), else half the box's subdivisions (rounded). Empty, with the
   * reason in @p reason, for a mesh file without global refinements or when a
   * coordinate would be left with fewer than 2 cells.
   */
  std::optional<CoarserMesh>
  coarsened(const SolverParameters &parameters, unsigned int dim, std::string &reason);

  /**
   * @p parameters (default mesh filled in for @p dim coordinates) on the mesh
   * refined once. An adaptive mesh gets one more level, Maximum level + 1, on
   * the same cells: the indicator refines once more where it asks and the
   * rest stays as coarse as it was. Why not a global refinement (which also
   * raises Minimum level): on (a, r) with a uniform law of a (the 2D default
   * mesh, T = 2, 2 ranks) one more level gave the global refinement's risk to
   * 1.3e-8 (the refined solves are 1.3e-5 from the first) with 11k instead
   * of 15k cells, in 98 s instead of 119 s. Any other mesh gets one more
   * global refinement, the inverse of coarsened() for a mesh with global
   * refinements. The result's ratio is h / h_refined = 2 (of the finest cells
   * on an adaptive mesh).
   */
  CoarserMesh
  refined_once(const SolverParameters &parameters, unsigned int dim);

  /**
   * The error of the risk R_h(t_k) of a solve at its output times t_k,
   * estimated from the risk R_2h(t_k) of a companion solve on the mesh
   * coarsened once, with the same CFL number (so dt scales with h) and output
   * times, by Richardson extrapolation:
   *
   *   err(t_k) = |R_h(t_k) - R_2h(t_k)| / (r^p - 1),   r = h_2h / h,
   *
   * with p = min(degree + 1, 3) (why, with measured numbers, in
   * risk_error_estimate.cc). NaN where no estimate is available, with the reason.
   *
   * A solve refined for PDE/Risk tolerance also knows the companion R_4h of
   * its companion (doc/theory.md §7). There r^p becomes the ratio observed so far,
   *
   *   q_k = max_{j <= k} |R_2h(t_j) - R_4h(t_j)| / max_{j <= k} |R_h(t_j) - R_2h(t_j)|,
   *
   * bounded to [r, r^p] (an observed order between 1 and p): a risk that
   * converges more slowly than order p gets the larger estimate its order
   * implies, a faster one (or a pre-asymptotic coarsest solve) keeps r^p.
   * Measured on (a, r) with a uniform law of a, the 2D default mesh refined by
   * one level (T = 0.5, against two more levels): q = 4.0, estimate 4.2e-6
   * for a sup error of 3.1e-6, where r^p gave 1.8e-6.
   */
  class RiskErrorEstimator
  {
  public:
    /// No estimate, because of @p reason.
    explicit RiskErrorEstimator(std::string reason = "PDE/Risk error estimate = false");
    /// From the companion's risks at the output times, for a solve of degree
    /// @p degree, and where known the risks of the companion's own companion.
    RiskErrorEstimator(const CoarserMesh &coarse, std::vector<double> coarse_risks, unsigned int degree,
                       std::vector<double> coarser_risks = {});

    bool
    available() const
    {
      return unavailable_reason.empty();
    }
    const std::string &
    reason() const
    {
      return unavailable_reason;
    }
    /// The companion's risks at the output times (empty if not available).
    const std::vector<double> &
    companion_risks() const
    {
      return coarse_risks;
    }
    /// err(t_k) for the solve's risk @p risk at output time @p k, called in
    /// the order of k (the observed ratio is a running maximum).
    double
    estimate(unsigned int k, double risk);

  private:
    std::vector<double> coarse_risks, coarser_risks;
    double              ratio = 2.;  ///< r
    double              order = 3.;  ///< p
    double              largest_difference = 0., largest_coarse_difference = 0.;
    std::string         unavailable_reason;
  };
} // namespace mfdd::pde
