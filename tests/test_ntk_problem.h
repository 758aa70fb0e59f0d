// Builds a model::Problem from Problem-section settings, for the ntk tests.
#pragma once

#include <mfdd/model/problem.h>

#include <string>
#include <utility>
#include <vector>

namespace mfdd::ntk::testing
{
  /// The running example with a trainable second layer, a ~ uniform[-1, 1],
  /// modified by @p settings ("Key" or "Subsection/Key" inside Problem).
  inline model::Problem
  make_problem(const std::vector<std::pair<std::string, std::string>> &settings = {})
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    prm.enter_subsection("Problem");
    prm.set("Second layer", "trainable");
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
} // namespace mfdd::ntk::testing
