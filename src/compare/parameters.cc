#include "study_files.h"

#include <mfdd/compare/parameters.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>

namespace mfdd::compare
{
  using internal::same_step;
  using io::require;

  std::vector<unsigned int>
  parse_unsigned_list(const std::string &text, const std::string &parameter, bool allow_zero)
  {
    std::vector<unsigned int> result;
    for (const double v : io::parse_double_list(text, parameter))
      {
        require(v == std::floor(v) && (allow_zero ? v >= 0. : v >= 1.) && v < 4e9, parameter,
                "entries must be " + std::string(allow_zero ? "non-negative" : "positive") + " integers, got " +
                  dealii::Utilities::to_string(v));
        result.push_back(static_cast<unsigned int>(v));
      }
    require(!result.empty(), parameter, "the list is empty; give at least one value");
    return result;
  }

  void
  ComparisonParameters::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Comparison");
    prm.declare_entry("Seeds", "1, 2, 3", dealii::Patterns::List(dealii::Patterns::Integer()),
                      "mfdd compare: comma-separated seeds of the SGD runs compared with the one PDE "
                      "solve (non-negative integers, at least one; 95% intervals need two or more).");
    prm.declare_entry("Test functions", "", dealii::Patterns::Anything(),
                      "Test functions f(z) of the reduced coordinates (r; a,r; r1,r2; or a,r1,r2), separated by "
                      "semicolons, e.g. 'min(r, 2); exp(-r^2)'. Each should be bounded and Lipschitz "
                      "(the slide's bound holds for those); the gap |(1/N) sum f(z_i) - int f d rho_t| is "
                      "reported for each. Empty: none.");
    prm.declare_entry("Sliced W1 directions", "16", dealii::Patterns::Integer(1, 10000),
                      "Two or three reduced coordinates: number of directions u_j averaged by the sliced "
                      "W1 (the mean of the W1 distances of the projections onto u_j). Two coordinates: "
                      "equally spaced angles pi j / n on the half circle; three: the spherical Fibonacci "
                      "points of the upper hemisphere (equally spaced in area, doc/theory.md §5).");
    prm.leave_subsection();
  }

  void
  ComparisonParameters::parse_parameters(dealii::ParameterHandler &prm, const model::Problem &problem)
  {
    prm.enter_subsection("Comparison");
    const std::string seed_text = prm.get("Seeds");
    test_functions              = split_expressions(prm.get("Test functions"));
    sliced_directions           = prm.get_integer("Sliced W1 directions");
    prm.leave_subsection();
    seeds = parse_unsigned_list(seed_text, "Comparison/Seeds", true);
    metrics(problem); // parses the test functions: InputError now rather than later
  }

  SnapshotMetrics
  ComparisonParameters::metrics(const model::Problem &problem) const
  {
    const auto  names = problem.reduced_setting().coordinate_names();
    std::string variables;
    for (const auto &n : names)
      variables += (variables.empty() ? "" : ",") + n;
    return SnapshotMetrics(names,
                           TestFunctions(test_functions, variables, names.size(), "Comparison/Test functions"),
                           sliced_directions);
  }

  void
  StudyParameters::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Study");
    prm.declare_entry("Widths N", "100, 400, 1600", dealii::Patterns::List(dealii::Patterns::Integer()),
                      "Comma-separated widths N of the networks (positive integers).");
    prm.declare_entry("Step sizes epsilon", "1e-5, 1e-4, 1e-3", dealii::Patterns::List(dealii::Patterns::Double()),
                      "Comma-separated SGD step sizes epsilon (positive) of the epsilon-sweep, run at the "
                      "largest N. SGD runs T/epsilon steps. Start the sweep where D epsilon >= 1/N at the "
                      "largest N: below that the width term dominates and the fitted slope flattens.");
    prm.declare_entry("Width sweep epsilon", "0", dealii::Patterns::Double(0.),
                      "The step size at which every N runs (the N-sweep): at most the smallest of the Step "
                      "sizes epsilon, and not necessarily one of them. Choose it with D epsilon well below "
                      "1/N at the largest N, so the width term dominates. 0: the smallest of the Step "
                      "sizes epsilon.");
    prm.declare_entry("Dimensions d", "10, 40", dealii::Patterns::List(dealii::Patterns::Integer()),
                      "Comma-separated input dimensions d; each replaces Problem/Dimension d and gets "
                      "its own PDE solve, shared by every run with that d.");
    prm.declare_entry("Seeds", "1, 2, 3, 4", dealii::Patterns::List(dealii::Patterns::Integer()),
                      "Comma-separated seeds (non-negative integers); every configuration runs each.");
    prm.declare_entry("Error times", "", dealii::Patterns::List(dealii::Patterns::Double()),
                      "Comma-separated times at which every metric is also evaluated, fitted and "
                      "plotted, besides the sup over t <= T (e.g. 0.05, 0.25, 0.5, 1, 2). Each must be an "
                      "output time of the runs: a multiple of Output/Output interval, or Problem/Final "
                      "time. At these times the signed differences (risk without self-interaction, test "
                      "functions) are also split over seeds into bias and fluctuation (bias_fluctuation.csv). "
                      "Empty: the sup only.");
    prm.declare_entry("Design", "cross", dealii::Patterns::Selection("cross|full"),
                      "cross: for each d, every N at the Width sweep epsilon and every Step sizes epsilon at the "
                      "largest N (all that the fitted rates use); full: every (N, epsilon, d).");
    prm.declare_entry("Dimension check N", "0", dealii::Patterns::Integer(0),
                      "Width at which the errors of the largest and smallest d are compared (at the "
                      "Width sweep epsilon); one of the Widths N, or 0 for the smallest width, where the "
                      "width term dominates the step-size term most.");
    prm.declare_entry("Plots", "true", dealii::Patterns::Bool(),
                      "Make the PNG plots with /usr/bin/python3 and matplotlib (scripts/plot_study.py).");
    prm.leave_subsection();
  }

  void
  StudyParameters::parse_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Study");
    const std::string widths_text = prm.get("Widths N"), steps_text = prm.get("Step sizes epsilon");
    const std::string dims_text = prm.get("Dimensions d"), seeds_text = prm.get("Seeds");
    const std::string times_text = prm.get("Error times");
    width_sweep_epsilon = prm.get_double("Width sweep epsilon");
    full_grid         = prm.get("Design") == "full";
    dimension_check_n = prm.get_integer("Dimension check N");
    plots             = prm.get_bool("Plots");
    prm.leave_subsection();

    widths     = parse_unsigned_list(widths_text, "Study/Widths N", false);
    dimensions = parse_unsigned_list(dims_text, "Study/Dimensions d", false);
    seeds      = parse_unsigned_list(seeds_text, "Study/Seeds", true);
    step_sizes = io::parse_double_list(steps_text, "Study/Step sizes epsilon");
    require(!step_sizes.empty(), "Study/Step sizes epsilon", "the list is empty; give at least one step size");
    for (const double e : step_sizes)
      require(e > 0. && std::isfinite(e), "Study/Step sizes epsilon",
              "step sizes must be positive, got " + dealii::Utilities::to_string(e));
    for (auto *list : {&widths, &dimensions, &seeds})
      {
        std::sort(list->begin(), list->end());
        list->erase(std::unique(list->begin(), list->end()), list->end());
      }
    error_times = io::parse_double_list(times_text, "Study/Error times");
    for (const double t : error_times)
      require(t >= 0. && std::isfinite(t), "Study/Error times",
              "times must be non-negative, got " + dealii::Utilities::to_string(t));
    std::sort(error_times.begin(), error_times.end());
    error_times.erase(std::unique(error_times.begin(), error_times.end()), error_times.end());
    std::sort(step_sizes.begin(), step_sizes.end());
    step_sizes.erase(std::unique(step_sizes.begin(), step_sizes.end()), step_sizes.end());
    require(width_sweep_epsilon <= step_sizes.front() && std::isfinite(width_sweep_epsilon), "Study/Width sweep epsilon",
            "must not exceed the smallest of the Step sizes epsilon (" + dealii::Utilities::to_string(step_sizes.front()) +
              "): the N-sweep runs where the step-size term is smallest; give 0 to use that step size");
    require(dimension_check_n == 0 || std::count(widths.begin(), widths.end(), dimension_check_n) == 1,
            "Study/Dimension check N", "must be 0 or one of the Widths N");
  }

  double
  StudyParameters::width_sweep_step() const
  {
    return width_sweep_epsilon > 0. ? width_sweep_epsilon : step_sizes.front();
  }

  bool
  StudyParameters::in_epsilon_sweep(double epsilon) const
  {
    return std::any_of(step_sizes.begin(), step_sizes.end(), [&](double e) { return same_step(e, epsilon); });
  }

  std::vector<double>
  StudyParameters::all_step_sizes() const
  {
    std::vector<double> all = step_sizes;
    if (!in_epsilon_sweep(width_sweep_step()))
      all.push_back(width_sweep_step());
    std::sort(all.begin(), all.end());
    return all;
  }

  unsigned int
  StudyParameters::largest_width() const
  {
    return widths.back();
  }

  unsigned int
  StudyParameters::dimension_check_width() const
  {
    return dimension_check_n == 0 ? widths.front() : dimension_check_n;
  }

  model::Problem
  problem_with_dimension(dealii::ParameterHandler &prm, unsigned int d)
  {
    prm.enter_subsection("Problem");
    const std::string saved = prm.get("Dimension d");
    prm.set("Dimension d", std::to_string(d));
    prm.leave_subsection();
    model::Problem problem;
    try
      {
        problem.parse_parameters(prm);
      }
    catch (const io::InputError &e)
      {
        prm.enter_subsection("Problem");
        prm.set("Dimension d", saved);
        prm.leave_subsection();
        throw io::InputError("Study/Dimensions d: the problem cannot take d = " + std::to_string(d) + " (" +
                             e.what() + ")");
      }
    prm.enter_subsection("Problem");
    prm.set("Dimension d", saved);
    prm.leave_subsection();
    return problem;
  }
} // namespace mfdd::compare
