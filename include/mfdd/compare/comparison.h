#pragma once

#include <mfdd/compare/metrics.h>
#include <mfdd/compare/statistics.h>
#include <mfdd/model/reduced_law.h>

#include <string>
#include <vector>

namespace mfdd::compare
{
  /**
   * One PDE trajectory against the SGD trajectories of several seeds:
   * per output time the PDE risk with its error estimate, the seed mean and
   * standard deviation of R_N and the seed mean of every gap; per metric the
   * sup over t of each seed's gap with its mean and 95% interval over seeds.
   *
   * A risk gap is resolved when the PDE's risk error estimate (sup over t) is
   * at least 10x below the mean of its sup: otherwise the gap may be the
   * PDE's own error. The other metrics have no estimate.
   */
  class SeedComparison
  {
  public:
    SeedComparison(const SnapshotMetrics                        &metrics,
                   const model::ReducedLawTrajectory            &pde,
                   const std::vector<model::ReducedLawTrajectory> &sgd_runs);

    /// compare.csv: t,risk_pde,risk_error_estimate,risk_sgd_mean,risk_sgd_std,self_interaction_mean,<metric means>
    void
    write_table(const std::string &filename) const;
    /// compare_summary.csv: metric,sup_mean,ci95_half_width,ci95_lower,ci95_upper,n_seeds,
    /// pde_error_estimate,resolved,expression (resolved: yes, no, or unknown where
    /// the metric has no estimate)
    void
    write_summary(const std::string &filename) const;

    /// Per metric: sup over t of the PDE's error estimate of it (NaN where
    /// there is none: every metric but the risk gaps, or PDE/Risk error
    /// estimate = false).
    const std::vector<double> &
    pde_error_estimates() const
    {
      return pde_estimates;
    }
    /// Per metric: "yes" if the PDE's estimate is 10x below the seed mean of
    /// the sup, "no" if not, "unknown" without an estimate.
    std::string
    resolved(std::size_t metric) const;

    /// Per metric: mean and 95% interval over seeds of sup_t gap.
    const std::vector<MeanInterval> &
    sup_statistics() const
    {
      return sups;
    }
    /// [time][column] of compare.csv
    const std::vector<std::vector<double>> &
    table() const
    {
      return rows;
    }
    std::vector<std::string>
    table_columns() const;

  private:
    const SnapshotMetrics           &metrics;
    std::vector<std::vector<double>> rows;
    std::vector<MeanInterval>        sups;
    std::vector<double>              pde_estimates;
  };

  /**
   * The long-time laws against a stationary state (the Gibbs state of the
   * noisy dynamics, doc/theory.md §8): per metric the gap of the PDE's last
   * snapshot and the seed mean and 95% interval of the gaps of the SGD runs'
   * last snapshots.
   */
  class StationaryComparison
  {
  public:
    StationaryComparison(const SnapshotMetrics                          &metrics,
                         const model::ReducedLawSnapshot                &stationary,
                         const model::ReducedLawSnapshot                &pde_final,
                         const std::vector<model::ReducedLawTrajectory> &sgd_runs);

    /// compare_gibbs.csv: metric,pde_final,sgd_final_mean,sgd_final_ci95_half_width,n_seeds
    void
    write(const std::string &filename) const;

    /// Per metric: the PDE's gap at the final time.
    const std::vector<double> &
    pde_gaps() const
    {
      return pde;
    }
    /// Per metric: mean and 95% interval over seeds of the SGD's gap at the final time.
    const std::vector<MeanInterval> &
    sgd_statistics() const
    {
      return sgd;
    }

  private:
    const SnapshotMetrics    &metrics;
    std::vector<double>       pde;
    std::vector<MeanInterval> sgd;
  };
} // namespace mfdd::compare
