#include <mfdd/compare/test_functions.h>
#include <mfdd/io/expression.h>

#include <deal.II/base/utilities.h>

#include <cmath>
#include <memory>
#include <stdexcept>

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

  namespace
  {
    template <int dim>
    std::function<double(const double *)>
    function_of_point(const std::string &variables, const std::string &expression, const std::string &parameter)
    {
      const std::shared_ptr<dealii::FunctionParser<dim>> f = io::parse_expression<dim>(variables, expression, parameter);
      return [f](const double *z) {
        dealii::Point<dim> point;
        for (unsigned int k = 0; k < dim; ++k)
          point[k] = z[k];
        return f->value(point);
      };
    }

    std::function<double(const double *)>
    function_of_point(const std::string &variables,
                      const std::string &expression,
                      unsigned int       dimension,
                      const std::string &parameter)
    {
      switch (dimension)
        {
          case 1:
            return function_of_point<1>(variables, expression, parameter);
          case 2:
            return function_of_point<2>(variables, expression, parameter);
          case 3:
            return function_of_point<3>(variables, expression, parameter);
          default:
            throw std::invalid_argument("test functions are defined for 1 to 3 reduced coordinates");
        }
    }
  } // namespace

  TestFunctions::TestFunctions(const std::vector<std::string> &expressions,
                               const std::string              &variables,
                               unsigned int                    dimension,
                               const std::string              &parameter)
    : expressions(expressions)
    , dimension(dimension)
  {
    for (const auto &e : expressions)
      functions.push_back(function_of_point(variables, e, dimension, parameter));
  }

  double
  TestFunctions::integral(std::size_t i, const model::ReducedLawSnapshot &snapshot) const
  {
    double sum = 0., total = 0.;
    for (std::size_t q = 0; q < snapshot.weights.size(); ++q)
      {
        const double *z = &snapshot.points[q * dimension];
        const double  f = functions[i](z);
        if (!std::isfinite(f))
          throw io::RunError("test function '" + expressions[i] + "' is not finite at a point of the law at t = " +
                             std::to_string(snapshot.t) + "; test functions must be bounded");
        sum += snapshot.weights[q] * f;
        total += snapshot.weights[q];
      }
    return sum / total;
  }
} // namespace mfdd::compare
