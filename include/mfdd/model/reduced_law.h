#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace mfdd::model
{
  /**
   * A density of the reduced coordinates sampled at the centres of a uniform
   * grid of cells over the box [lower, upper] (n[k] cells along coordinate k,
   * coordinate 0 varying fastest). What the PDE hands over so that
   * distribution functions and marginals can be integrated accurately.
   */
  struct GridDensity
  {
    std::vector<double>       lower, upper;
    std::vector<unsigned int> n;
    std::vector<double>       values;
  };

  /**
   * The state of one evolution (PDE, SGD, kernel limit) at one output time, in
   * the problem's reduced coordinates. This is the only thing the comparison
   * layer sees of an evolution.
   */
  struct ReducedLawSnapshot
  {
    double t    = 0.;
    /// R(rho-bar_t) for the PDE, R_N(Theta^k) for SGD.
    double risk = 0.;
    /// SGD only: the self-interaction part of R_N (kernels::NetworkRisk::Result).
    double self_interaction = 0.;
    /// SGD only: the standard error of a sampled risk (SGD/Risk estimate =
    /// sampled; 0 for the exact R_N, NaN where no risk is recorded).
    double risk_standard_error = 0.;
    /// PDE only: the estimated error of risk from companion solves on a
    /// coarser mesh (PDE/Risk error estimate); NaN where not estimated.
    double risk_error_estimate = std::numeric_limits<double>::quiet_NaN();
    /// The law as weighted points, coordinates row by row: SGD's neurons with
    /// weight 1/N each, or the PDE's quadrature points with rho-bar JxW.
    std::vector<double> points;
    std::vector<double> weights;
    /// PDE only (empty for SGD): the density on a fine uniform grid.
    GridDensity grid;
  };

  using ReducedLawTrajectory = std::vector<ReducedLawSnapshot>;

  /// PDE only: the sup over t of risk_error_estimate; NaN if a snapshot has none.
  inline double
  sup_risk_error_estimate(const ReducedLawTrajectory &trajectory)
  {
    double sup = 0.;
    for (const auto &snapshot : trajectory)
      {
        if (std::isnan(snapshot.risk_error_estimate))
          return std::numeric_limits<double>::quiet_NaN();
        sup = std::max(sup, snapshot.risk_error_estimate);
      }
    return sup;
  }
} // namespace mfdd::model
