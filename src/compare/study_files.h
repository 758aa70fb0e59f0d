// Helpers shared by the study's driver (study.cc), its results
// (study_results.cc) and its report (study_report.cc): number formatting, CSV
// lines, the tolerant reading of the study's own CSV files.
#pragma once

#include <mfdd/compare/bias_fluctuation.h>
#include <mfdd/compare/study.h>

#include <string>
#include <vector>

namespace mfdd::compare::internal
{
  bool
  same_step(double a, double b);

  std::string
  number(double v, int precision = 15);

  // The complete rows of a numeric CSV file whose header must be @p header
  // (missing or empty file: no rows). A last line without its newline was
  // cut by an interruption and is dropped.
  std::vector<std::vector<double>>
  read_numeric_csv(const std::string &filename, const std::vector<std::string> &header);

  std::vector<std::string>
  pde_error_columns(const std::vector<std::string> &metrics);

  std::string
  csv_line(const std::vector<double> &values);

  std::string
  csv_header(const std::vector<std::string> &columns);

  // The rows of each configuration (N, epsilon, d) of a study table, in the
  // order (d, epsilon, N); the key's seed is that of the first row.
  std::vector<std::pair<RunKey, std::vector<const StudyTable::Row *>>>
  rows_by_configuration(const StudyTable &table);

  // Whether run @p key of dimension d belongs to the N sweep (every N at the
  // width sweep's epsilon) or to the epsilon sweep (every step size of the
  // sweep at the largest N).
  bool
  in_width_sweep(const StudyParameters &parameters, const RunKey &key, unsigned int d);
  bool
  in_step_sweep(const StudyParameters &parameters, const RunKey &key, unsigned int d);

  // The PDE's own error of value v (laid out as StudyTable::Row::values) for
  // dimension d, from @p pde_error (rows d, then every value); 0 where not
  // known. Two PDE solves have no self-interaction: risk_gap_no_self takes
  // risk_gap's.
  double
  pde_error_of_value(const StudyTable                       &table,
                     const std::vector<std::vector<double>> &pde_error,
                     std::size_t                             v,
                     unsigned int                            d);

  // The metrics the width and step-size laws speak about: the unbiased ones.
  bool
  is_clean_metric(const std::string &name);

  // Everything report.md says.
  struct StudyReport
  {
    const StudyParameters                  &parameters;
    unsigned int                            extra_dimension;
    const StudyTable                       &table;
    const std::vector<ConfigurationSummary> &summary;
    const std::vector<Rate>                &rates;
    const std::vector<std::vector<double>> &pde_error;
    const std::vector<std::string>         &checks;
    const std::vector<BiasFluctuation>     &parts;
    const std::vector<BiasFluctuationRate> &part_rates;
  };

  void
  write_study_report(const std::string &filename, const StudyReport &report);
} // namespace mfdd::compare::internal
