#pragma once

#include <mfdd/io/input_error.h>

#include <deal.II/base/function_parser.h>
#include <deal.II/base/point.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>

namespace mfdd::io
{
  /**
   * A muparser expression from a parameter file (step-size schedule, initial
   * density, test function), checked at once: FunctionParser only parses on
   * first evaluation and prints its complaint to stderr, so the expression is
   * evaluated here with stderr captured and any failure becomes one InputError
   * naming @p parameter.
   */
  template <int dim>
  std::shared_ptr<dealii::FunctionParser<dim>>
  parse_expression(const std::string &variables, const std::string &expression, const std::string &parameter)
  {
    auto               function = std::make_shared<dealii::FunctionParser<dim>>();
    std::ostringstream captured;
    std::streambuf    *saved = std::cerr.rdbuf(captured.rdbuf());
    try
      {
        function->initialize(variables, expression, {});
        function->value(dealii::Point<dim>());
      }
    catch (...)
      {
        std::cerr.rdbuf(saved);
        throw InputError(parameter + ": cannot parse '" + expression + "' as a muparser expression in " +
                         variables);
      }
    std::cerr.rdbuf(saved);
    return function;
  }
} // namespace mfdd::io
