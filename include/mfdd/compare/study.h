#pragma once

#include <mfdd/compare/metrics.h>
#include <mfdd/compare/parameters.h>
#include <mfdd/compare/statistics.h>
#include <mfdd/model/reduced_law.h>

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace mfdd::compare
{
  /// One run of a study: everything its result depends on.
  struct RunKey
  {
    unsigned int N;
    double       epsilon;
    unsigned int d;
    unsigned int seed;

    bool
    operator==(const RunKey &other) const;
  };

  /// The runs of a study in a fixed order (d, epsilon, N, seed), without
  /// duplicates: the cross or full design of StudyParameters.
  std::vector<RunKey>
  study_runs(const StudyParameters &parameters);

  /**
   * Assigns runs to @p n_ranks ranks, the most costly first to the least
   * loaded rank (@p cost: an estimate of a run's work). Deterministic; what a
   * run computes does not depend on where it runs.
   */
  std::vector<std::vector<RunKey>>
  assign_runs(const std::vector<RunKey>                 &runs,
              unsigned int                               n_ranks,
              const std::function<double(const RunKey &)> &cost);

  /// What a study evolves: implemented by `mfdd study` with the PDE solver
  /// and the SGD simulator, by the tests with synthetic laws.
  class Evolutions
  {
  public:
    virtual ~Evolutions() = default;
    /// The PDE's law in dimension d: level 0 at the study's resolution, level
    /// 1 at a finer one (its self-convergence gives the PDE's own error).
    virtual model::ReducedLawTrajectory
    pde(unsigned int d, unsigned int level) const = 0;
    /// One SGD run; must depend on nothing but its arguments (and the problem).
    virtual model::ReducedLawTrajectory
    sgd(const RunKey &run) const = 0;
    /// An estimate of a run's work, to balance the ranks' loads (default: N d /
    /// epsilon, steps times work per step).
    virtual double
    cost(const RunKey &run) const
    {
      return double(run.N) * run.d / run.epsilon;
    }
  };

  /**
   * The names of a study's values: every metric's sup over t <= T, then
   * every metric at each of the error times ("w1@0.5").
   */
  std::vector<std::string>
  study_value_names(const std::vector<std::string> &metrics, const std::vector<double> &times);

  /// study.csv: one row per finished run, N,epsilon,d,seed followed by the
  /// values of study_value_names, the signed differences at each error time
  /// ("test_difference_1@0.5"; SnapshotMetrics::differences), the largest
  /// standard error of the run's R_N records (0 for exact records, NaN
  /// without any) and its wall time.
  struct StudyTable
  {
    std::vector<std::string> metrics;
    std::vector<double>      times;       ///< the error times
    std::vector<std::string> differences; ///< the signed quantities, recorded at the error times only
    struct Row
    {
      RunKey              key;
      std::vector<double> values; ///< [slot * metrics + m]: slot 0 the sup, slot k time k - 1
      double              risk_standard_error;
      double              seconds;
      std::vector<double> differences = {}; ///< [k * differences + q] at time k
    };
    std::vector<Row> rows;

    std::vector<std::string>
    columns() const;
    /// Reads @p filename (missing file: no rows). Rows that are cut short (an
    /// interrupted write) are dropped; a header that does not match
    /// @p metrics, @p times and @p differences is an InputError.
    static StudyTable
    read(const std::string              &filename,
         const std::vector<std::string> &metrics,
         const std::vector<double>      &times       = {},
         const std::vector<std::string> &differences = {});
    bool
    has(const RunKey &key) const;
  };

  /**
   * The values of one run for study.csv: the sup over the rows of
   * compare_trajectories, then the row of each error time. InputError naming
   * Study/Error times if a time is not one of the trajectory's output times.
   */
  std::vector<double>
  study_values(const std::vector<std::vector<double>> &rows,
               const model::ReducedLawTrajectory      &reference,
               const std::vector<double>              &times);

  /// The signed differences of SnapshotMetrics::differences between matching
  /// snapshots at each error time, laid out as StudyTable::Row::differences.
  std::vector<double>
  study_differences(const SnapshotMetrics             &metrics,
                    const model::ReducedLawTrajectory &reference,
                    const model::ReducedLawTrajectory &other,
                    const std::vector<double>         &times);

  /// The seed average of every configuration (N, epsilon, d) of a table.
  struct ConfigurationSummary
  {
    unsigned int              N;
    double                    epsilon;
    unsigned int              d;
    std::vector<MeanInterval> metrics; ///< one per value, laid out as StudyTable::Row::values
  };
  std::vector<ConfigurationSummary>
  summarize(const StudyTable &table);

  /**
   * A fitted exponent of one metric at one time (t: NaN for the sup over
   * t <= T) along one sweep:
   *   N        error against N at the width sweep's epsilon, for one d
   *   epsilon  error against epsilon at the largest N, for one d
   *   d        error against d at one N and the width sweep's epsilon; ratio is the
   *            mean error at the largest d over that at the smallest d
   * Fitted to the seed means (weighted log-log least squares, fit_power_law_of_means).
   * A rate is refused (fit NaN, refused true) where the PDE's own error of
   * the metric is not at least 10x below the smallest seed mean of the sweep:
   * the gap would then measure the PDE as much as the SGD.
   */
  struct Rate
  {
    std::string  metric;
    double       t;
    std::string  sweep;
    unsigned int d; ///< 0 for the d sweep
    unsigned int N;
    double       epsilon;
    PowerLawFit  fit;
    double       ratio;
    bool         refused       = false;
    double       pde_error     = 0.; ///< the PDE's own error of the metric (largest over the sweep's d)
    double       smallest_gap  = 0.; ///< the smallest seed mean of the sweep
  };
  /// @p pde_error: rows d, then the PDE's own error of every value (as pde_error.csv without seconds);
  /// none: no rate is refused.
  std::vector<Rate>
  fit_rates(const StudyTable                       &table,
            const StudyParameters                  &parameters,
            const std::vector<std::vector<double>> &pde_error = {});

  /// The sweeps and checks of `mfdd study`, driven over MPI ranks.
  class Study
  {
  public:
    Study(StudyParameters parameters, SnapshotMetrics metrics, std::string folder, unsigned int extra_dimension);

    /**
     * Runs every run of the design that study.csv in the folder does not hold
     * yet (ranks of @p comm share them), appending each result when it
     * finishes, then (rank 0) writes study_summary.csv, rates.csv,
     * pde_error.csv, with error times bias_fluctuation.csv and
     * bias_fluctuation_rates.csv, and report.md.
     */
    void
    run(const Evolutions &evolutions, MPI_Comm comm) const;

    /// The checks of the width and step-size laws (doc/theory.md §5) as lines "PASS|FAIL: what", written into report.md.
    std::vector<std::string>
    write_results(const StudyTable &table, const std::vector<std::vector<double>> &pde_error) const;

  private:
    StudyParameters parameters;
    SnapshotMetrics metrics;
    std::string     folder;
    unsigned int    extra_dimension; // D - d: 1 with a trainable second layer

    std::string
    path(const std::string &name) const;
  };

  /**
   * The study-defining parameters are kept in <folder>/study_definition.prm
   * (every parameter but the output folder). A folder whose stored
   * definition differs from @p definition in anything but the run list
   * (Study/Widths N, Step sizes epsilon, Width sweep epsilon, Dimensions d,
   * Seeds, Design, Dimension check N, Plots), or that holds a study.csv
   * without one, is refused with an InputError saying how to start fresh. A
   * study resumed with another run list keeps the finished runs it needs.
   */
  void
  check_study_definition(const std::string &folder, const std::string &definition);
  void
  write_study_definition(const std::string &folder, const std::string &definition);

  /// Serialises a trajectory into doubles (for MPI broadcasts) and back.
  std::vector<double>
  pack(const model::ReducedLawTrajectory &trajectory);
  model::ReducedLawTrajectory
  unpack(const std::vector<double> &data);
} // namespace mfdd::compare
