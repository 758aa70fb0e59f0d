// Helpers shared by the study's driver (study.cc) and its results
// (study_results.cc): number formatting, CSV lines, the tolerant reading of
// the study's own CSV files.
#pragma once

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
} // namespace mfdd::compare::internal
