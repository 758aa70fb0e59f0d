#pragma once

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace mfdd::io
{
  /**
   * Reads a parameter file into @p prm, then applies the command-line
   * overrides @p settings, each of the form "Section/Subsection/Key=value".
   * Every deal.II parser error becomes a one-line InputError naming the file,
   * the line and the parameter.
   */
  void
  read_parameter_file(dealii::ParameterHandler       &prm,
                      const std::string              &filename,
                      const std::vector<std::string> &settings);

  /// Turns "A/B/Key=value" into the text of a parameter file that sets it.
  std::string
  setting_to_prm_text(const std::string &setting);

  /// Parses a comma-separated list of numbers, naming @p parameter on error.
  std::vector<double>
  parse_double_list(const std::string &text, const std::string &parameter);
} // namespace mfdd::io
