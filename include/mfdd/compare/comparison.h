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
   * per output time the PDE risk, the seed mean and standard deviation of
   * R_N and the seed mean of every gap; per metric the sup over t of each
   * seed's gap with its mean and 95% interval over seeds.
   */
  class SeedComparison
  {
  public:
    SeedComparison(const SnapshotMetrics                        &metrics,
                   const model::ReducedLawTrajectory            &pde,
                   const std::vector<model::ReducedLawTrajectory> &sgd_runs);

    /// compare.csv: t,risk_pde,risk_sgd_mean,risk_sgd_std,self_interaction_mean,<metric means>
    void
    write_table(const std::string &filename) const;
    /// compare_summary.csv: metric,sup_mean,ci95_half_width,ci95_lower,ci95_upper,n_seeds,expression
    void
    write_summary(const std::string &filename) const;

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
  };
} // namespace mfdd::compare
