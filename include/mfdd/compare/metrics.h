#pragma once

#include <mfdd/compare/test_functions.h>
#include <mfdd/model/reduced_law.h>

#include <string>
#include <vector>

namespace mfdd::compare
{
  /**
   * The gaps between two laws of the reduced coordinates at one time, by name:
   *
   *   risk_gap          |R_other - R_reference| (R_N - R(rho-bar_t) for SGD vs PDE)
   *   risk_gap_no_self  |R_other - self_interaction - R_reference|: the same
   *                     with the exactly known diagonal excess of R_N removed
   *                     (doc/theory.md §5; equal to risk_gap when other is a PDE)
   *   w1                (1D) W1 between the two laws of z, exact
   *   w1_<name>         (2D, 3D) W1 between the marginals of coordinate <name>
   *   sliced_w1         (2D, 3D) the sliced W1 of wasserstein.h
   *   test_gap_<i>      |integral f_i d(other) - integral f_i d(reference)|
   *
   * The reference is a PDE snapshot (density on a grid, quadrature points);
   * the other is an SGD snapshot (neurons with weights 1/N) or another PDE
   * snapshot (self-convergence). A NaN risk (not recorded) gives NaN risk gaps.
   */
  class SnapshotMetrics
  {
  public:
    SnapshotMetrics(std::vector<std::string> coordinate_names,
                    TestFunctions            test_functions,
                    unsigned int             sliced_directions);

    const std::vector<std::string> &
    names() const
    {
      return metric_names;
    }

    std::vector<double>
    operator()(const model::ReducedLawSnapshot &reference, const model::ReducedLawSnapshot &other) const;

    const TestFunctions &
    test_functions() const
    {
      return functions;
    }

    /**
     * The signed differences (other minus reference) behind the gaps whose
     * sign the theory speaks about:
     *
     *   risk_difference_no_self  R_other - self_interaction - R_reference
     *   test_difference_<i>      integral f_i d(other) - integral f_i d(reference)
     *
     * Over seeds their mean is the deterministic part of a gap and their
     * standard deviation the random part (doc/theory.md §9).
     */
    const std::vector<std::string> &
    difference_names() const
    {
      return signed_names;
    }

    std::vector<double>
    differences(const model::ReducedLawSnapshot &reference, const model::ReducedLawSnapshot &other) const;

  private:
    std::vector<std::string> coordinates;
    TestFunctions            functions;
    unsigned int             directions;
    std::vector<std::string> metric_names;
    std::vector<std::string> signed_names;
  };

  /// One row per output time of @p reference, one column per metric: the
  /// metrics between matching snapshots of the two trajectories. RunError if
  /// the trajectories do not have the same output times.
  std::vector<std::vector<double>>
  compare_trajectories(const SnapshotMetrics              &metrics,
                       const model::ReducedLawTrajectory &reference,
                       const model::ReducedLawTrajectory &other);

  /// For each column, the largest value over the rows (NaNs skipped; NaN if
  /// a column has no value).
  std::vector<double>
  sup_over_time(const std::vector<std::vector<double>> &rows);
} // namespace mfdd::compare
