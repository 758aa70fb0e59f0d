#include <mfdd/compare/test_functions.h>
#include <mfdd/io/expression.h>

#include <deal.II/base/utilities.h>

#include <cmath>

namespace mfdd::compare
{
  std::vector<std::string>
  split_expressions(const std::string &text)
  {
    std::vector<std::string> result;
    for (const auto &piece : dealii::Utilities::split_string_list(text, ';'))
      if (!piece.empty())
        result.push_back(piece);
    return result;
  }

  TestFunctions::TestFunctions(const std::vector<std::string> &expressions,
                               const std::string              &variables,
                               unsigned int                    dimension,
                               const std::string              &parameter)
    : expressions(expressions)
    , dimension(dimension)
  {
    for (const auto &e : expressions)
      if (dimension == 1)
        functions_1d.push_back(io::parse_expression<1>(variables, e, parameter));
      else
        functions_2d.push_back(io::parse_expression<2>(variables, e, parameter));
  }

  double
  TestFunctions::integral(std::size_t i, const model::ReducedLawSnapshot &snapshot) const
  {
    double sum = 0., total = 0.;
    for (std::size_t q = 0; q < snapshot.weights.size(); ++q)
      {
        const double *z = &snapshot.points[q * dimension];
        const double  f = dimension == 1 ? functions_1d[i]->value(dealii::Point<1>(z[0])) :
                                           functions_2d[i]->value(dealii::Point<2>(z[0], z[1]));
        if (!std::isfinite(f))
          throw io::RunError("test function '" + expressions[i] + "' is not finite at a point of the law at t = " +
                             std::to_string(snapshot.t) + "; test functions must be bounded");
        sum += snapshot.weights[q] * f;
        total += snapshot.weights[q];
      }
    return sum / total;
  }
} // namespace mfdd::compare
