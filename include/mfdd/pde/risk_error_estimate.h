// The error estimate of a PDE run's own risk curve (PDE/Risk error estimate):
// Richardson extrapolation, in space and in time separately, against two
// companion solves on a coarser mesh (doc/theory.md §7).
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

  /// The orders the risk error estimate assumes (doc/theory.md §7).
  struct RiskErrorOrders
  {
    double space = 4.5; ///< p_s: 2k + 1/2, or k + 1/2 for a law with jumps
    double time  = 3.;  ///< p_t: 3 (SSP-RK3) or 2 (the IMEX scheme of the noise)
  };

  /**
   * The orders of a solve of degree @p degree: in space 2k + 1/2 for a smooth
   * initial law, k + 1/2 for one with jumps (@p law_has_jumps); in time 3, or
   * 2 with @p implicit_noise (ARS(2,2,2)). Why these, with measured numbers, in
   * risk_error_estimate.cc.
   */
  RiskErrorOrders
  risk_error_orders(unsigned int degree, bool law_has_jumps, bool implicit_noise);

  /**
   * The error of the risk R_h(t_k) of a solve at its output times t_k from
   * two companion solves on the mesh coarsened once (ratio r = h_2h / h): one
   * with the solve's time step dt (half the CFL number, twice the adaptive
   * interval in steps), R_2h,dt, and one with 2 dt (the same CFL number),
   * R_2h,2dt. Their difference is the time error alone, the first one's
   * difference from the solve the space error alone, each extrapolated with
   * its own order (doc/theory.md §7):
   *
   *   err(t_k) = |R_h - R_2h,dt| / (r^p_s - 1) + |R_2h,dt - R_2h,2dt| / (2^p_t - 1).
   *
   * NaN where no estimate is available, with the reason.
   *
   * A solve refined for PDE/Risk tolerance has as companion its previous
   * solve R_2h (same CFL number, so a ratio 2 in both h and dt), and that
   * one's companion with the same CFL number, R_4h. There
   *
   *   err(t_k) = |R_h - R_2h| / (q_k - 1),
   *   q_k = max_{j <= k} |R_2h(t_j) - R_4h(t_j)| / max_{j <= k} |R_h(t_j) - R_2h(t_j)|,
   *
   * the ratio observed so far, bounded to [r, r^min(k+1, 3)] (an observed
   * order between 1 and min(k + 1, 3)): a risk that converges more slowly gets
   * the larger estimate its order implies, a faster one (or a pre-asymptotic
   * coarsest solve) keeps the bound. Measured on (a, r) with a uniform law of
   * a, the 2D default mesh refined by one level (T = 0.5, against two more
   * levels): q = 4.0, estimate 4.2e-6 for a sup error of 3.1e-6, where 2^3
   * gave 1.8e-6.
   */
  class RiskErrorEstimator
  {
  public:
    /// No estimate, because of @p reason.
    explicit RiskErrorEstimator(std::string reason = "PDE/Risk error estimate = false");
    /// From the risks at the output times of the companions with the solve's
    /// time step (@p same_step_risks) and with twice that (@p double_step_risks).
    RiskErrorEstimator(const CoarserMesh &coarse, std::vector<double> same_step_risks,
                       std::vector<double> double_step_risks, RiskErrorOrders orders);
    /// A solve refined for the tolerance: from the previous solve's risks
    /// @p coarse_risks, for degree @p degree, and the risks @p coarser_risks of
    /// that one's companion with the same CFL number.
    RiskErrorEstimator(const CoarserMesh &coarse, std::vector<double> coarse_risks, unsigned int degree,
                       std::vector<double> coarser_risks);

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
    /// The risks at the output times of the companion with the same CFL
    /// number (empty if not available).
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
    /// Same CFL number (R_2h,2dt, or the previous solve R_2h), and the
    /// companion with the same step (R_2h,dt) or the previous one's (R_4h).
    std::vector<double> coarse_risks, same_step_risks, coarser_risks;
    double              ratio = 2.;  ///< r
    double              order = 3.;  ///< min(k + 1, 3), refined solves only
    RiskErrorOrders     orders;
    double              largest_difference = 0., largest_coarse_difference = 0.;
    std::string         unavailable_reason;
  };
} // namespace mfdd::pde
