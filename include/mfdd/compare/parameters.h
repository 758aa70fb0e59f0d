#pragma once

#include <mfdd/compare/metrics.h>
#include <mfdd/model/problem.h>

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace mfdd::compare
{
  /**
   * The `Comparison` section: how two evolutions are compared (test
   * functions, directions of the sliced W1) and, for `mfdd compare`, the
   * seeds of the SGD runs.
   */
  struct ComparisonParameters
  {
    std::vector<unsigned int> seeds = {1, 2, 3};
    std::vector<std::string>  test_functions;
    unsigned int              sliced_directions = 16;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// InputError naming the parameter for an empty seed list or a test
    /// function that does not parse in the problem's reduced coordinates.
    void
    parse_parameters(dealii::ParameterHandler &prm, const model::Problem &problem);

    /// The metrics these parameters define for @p problem's reduced coordinates.
    SnapshotMetrics
    metrics(const model::Problem &problem) const;
  };

  /**
   * The `Study` section of `mfdd study`: the widths, step sizes, dimensions
   * and seeds to sweep, and which combinations to run.
   */
  struct StudyParameters
  {
    std::vector<unsigned int> widths;
    /// The epsilon-sweep's step sizes (sorted).
    std::vector<double>       step_sizes;
    /// The N-sweep's step size; 0: the smallest of step_sizes.
    double                    width_sweep_epsilon = 0.;
    std::vector<unsigned int> dimensions;
    std::vector<unsigned int> seeds;
    /// Times at which every metric is evaluated and fitted besides the sup
    /// over t <= T (sorted, without duplicates; empty: the sup only).
    std::vector<double> error_times;
    /// cross: (every N, width_sweep_step()) and (largest N, every epsilon of
    /// step_sizes) for each d, which is all the fits need; full: every
    /// combination of N and all_step_sizes().
    bool         full_grid          = false;
    unsigned int dimension_check_n  = 0; ///< 0: the smallest N
    bool         plots              = true;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    void
    parse_parameters(dealii::ParameterHandler &prm);

    /// The step size of the N-sweep.
    double
    width_sweep_step() const;
    /// Whether @p epsilon is one of step_sizes (to round-off).
    bool
    in_epsilon_sweep(double epsilon) const;
    /// step_sizes and width_sweep_step(), sorted, without duplicates.
    std::vector<double>
    all_step_sizes() const;
    unsigned int
    largest_width() const;
    /// The N of the dimension comparison (Dimension check N, or the smallest N).
    unsigned int
    dimension_check_width() const;
  };

  /// Parses "1, 2, 3" as positive integers (or non-negative with
  /// @p allow_zero), naming @p parameter in the InputError.
  std::vector<unsigned int>
  parse_unsigned_list(const std::string &text, const std::string &parameter, bool allow_zero);

  /**
   * @p prm's Problem section re-read with Problem/Dimension d = @p d: the
   * problem of one dimension of a study. InputError naming "Study/Dimensions
   * d" if the problem cannot take that d (e.g. d <= s0 for anisotropic data).
   */
  model::Problem
  problem_with_dimension(dealii::ParameterHandler &prm, unsigned int d);
} // namespace mfdd::compare
