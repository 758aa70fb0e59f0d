// The Problem section of a test, built from a few settings on top of the defaults.
#pragma once

#include <mfdd/model/problem.h>

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <utility>
#include <vector>

namespace mfdd::test_support
{
  /// A Problem from Problem/* settings ("Key" or "Subsection/Key", value),
  /// applied in order on top of the defaults.
  inline model::Problem
  make_problem(const std::vector<std::pair<std::string, std::string>> &settings)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    prm.enter_subsection("Problem");
    for (const auto &[key, value] : settings)
      {
        const auto slash = key.find('/');
        if (slash == std::string::npos)
          prm.set(key, value);
        else
          {
            prm.enter_subsection(key.substr(0, slash));
            prm.set(key.substr(slash + 1), value);
            prm.leave_subsection();
          }
      }
    prm.leave_subsection();
    model::Problem problem;
    problem.parse_parameters(prm);
    return problem;
  }
} // namespace mfdd::test_support
