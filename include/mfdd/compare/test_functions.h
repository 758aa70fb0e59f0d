#pragma once

#include <mfdd/model/reduced_law.h>

#include <deal.II/base/function_parser.h>

#include <functional>
#include <string>
#include <vector>

namespace mfdd::compare
{
  /**
   * The user's test functions f(z) of the reduced coordinates, muparser
   * expressions in the coordinate names ("r"; "a,r"; "r1,r2"; "a,r1,r2"). The slide's
   * bound holds for bounded Lipschitz f; that is the user's promise, checked
   * here only as far as "finite wherever a law has mass".
   */
  class TestFunctions
  {
  public:
    TestFunctions() = default;
    /// @p expressions: one expression per function; @p variables: the
    /// coordinate names, comma-separated. InputError naming @p parameter if an
    /// expression does not parse.
    TestFunctions(const std::vector<std::string> &expressions,
                  const std::string              &variables,
                  unsigned int                    dimension,
                  const std::string              &parameter);

    std::size_t
    size() const
    {
      return expressions.size();
    }
    const std::string &
    expression(std::size_t i) const
    {
      return expressions[i];
    }

    /// integral of f_i against the snapshot's weighted points (normalised by
    /// their total weight). RunError if f_i is not finite at a point.
    double
    integral(std::size_t i, const model::ReducedLawSnapshot &snapshot) const;

  private:
    std::vector<std::string> expressions;
    unsigned int             dimension = 1;
    /// f_i at the point z[0..dimension-1]
    std::vector<std::function<double(const double *)>> functions;
  };

  /// Splits "f1; f2; ..." at semicolons (commas belong to muparser, e.g.
  /// min(r, 1)), trimming blanks and dropping empty entries.
  std::vector<std::string>
  split_expressions(const std::string &text);
} // namespace mfdd::compare
