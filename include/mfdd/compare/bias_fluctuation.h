#pragma once

#include <mfdd/compare/parameters.h>
#include <mfdd/compare/statistics.h>
#include <mfdd/compare/study.h>

#include <string>
#include <vector>

namespace mfdd::compare
{
  /**
   * A signed difference q (SGD minus PDE, SnapshotMetrics::differences) over
   * the seeds of one configuration at one error time, split into its two
   * parts (doc/theory.md §9):
   *   bias         the seed mean of q: the deterministic part, beta(t)/N
   *                from the finite width plus O(D epsilon) from the step
   *   fluctuation  the seed standard deviation of q: the random part,
   *                sigma(t) N^(-1/2) plus the step's noise
   * The gap E|q| mixes the two; its N-exponent is -1/2 only while the
   * fluctuation dominates.
   */
  struct BiasFluctuation
  {
    std::string    quantity;
    double         t;
    unsigned int   N;
    double         epsilon;
    unsigned int   d;
    MeanInterval   bias;
    StdDevInterval fluctuation;
  };

  /// One entry per signed quantity, error time and configuration of @p table, in
  /// the order (quantity, t, d, epsilon, N).
  std::vector<BiasFluctuation>
  split_bias_fluctuation(const StudyTable &table);

  /**
   * The exponents of both parts along one sweep (as Rate: N at the width
   * sweep's epsilon, epsilon at the largest N), per quantity, time and d:
   * the bias's is fitted to |seed mean| (fit_power_law_of_means of the values
   * with the sign of their mean removed), the fluctuation's to the seed
   * standard deviation (fit_power_law_of_std_devs). bias_resolved counts the
   * sweep's points whose mean lies outside its 95% interval around 0: a bias
   * exponent means something only where all of them are. The PDE's own error
   * enters the bias, not the fluctuation: the bias's fit is refused (NaN)
   * where that error (of the matching gap, e.g. test_gap_1 for
   * test_difference_1) is not 10x below the smallest resolved |mean|.
   */
  struct BiasFluctuationRate
  {
    std::string  quantity;
    double       t;
    std::string  sweep;
    unsigned int d;
    unsigned int N;
    double       epsilon;
    PowerLawFit  bias;
    PowerLawFit  fluctuation;
    unsigned int bias_resolved = 0;
    unsigned int points        = 0;
    double       pde_error     = 0.;
    bool         bias_refused  = false;
  };

  /// @p pde_error: as for fit_rates (rows d, then the PDE's own error of every value).
  std::vector<BiasFluctuationRate>
  fit_bias_fluctuation_rates(const StudyTable                       &table,
                             const StudyParameters                  &parameters,
                             const std::vector<std::vector<double>> &pde_error = {});

  /// bias_fluctuation.csv and bias_fluctuation_rates.csv in @p folder.
  void
  write_bias_fluctuation(const std::string                      &folder,
                         const std::vector<BiasFluctuation>     &parts,
                         const std::vector<BiasFluctuationRate> &rates);
} // namespace mfdd::compare
