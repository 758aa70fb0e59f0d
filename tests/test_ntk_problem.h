// Builds a model::Problem from Problem-section settings, for the ntk tests.
#pragma once

#include "make_problem.h"
#include <mfdd/model/problem.h>

#include <string>
#include <utility>
#include <vector>

namespace mfdd::ntk::testing
{
  /// The running example with a trainable second layer, a ~ uniform[-1, 1],
  /// modified by @p settings ("Key" or "Subsection/Key" inside Problem).
  inline model::Problem
  make_problem(std::vector<std::pair<std::string, std::string>> settings = {})
  {
    settings.insert(settings.begin(), {"Second layer", "trainable"});
    return test_support::make_problem(settings);
  }
} // namespace mfdd::ntk::testing
