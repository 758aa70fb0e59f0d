// The comparison of `mfdd kernel`: the alpha-scaled mean-field dynamics (PDE
// and SGD) against the kernel limit and the tangent model (doc/theory.md §6),
// with its tables, fitted slopes in alpha, report and plots. Like
// compare::Study it sees the PDE and the SGD only through their trajectories.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/model/reduced_law.h>
#include <mfdd/ntk/parameters.h>

#include <string>
#include <vector>

namespace mfdd::ntk
{
  /// The alpha-scaled evolutions that `mfdd kernel` compares with the kernel limit.
  class ScaledEvolutions
  {
  public:
    virtual ~ScaledEvolutions() = default;
    /// The PDE of @p problem (its alpha set): level 0 at the file's
    /// resolution, level 1 one refinement finer (for the PDE's own error).
    virtual model::ReducedLawTrajectory
    pde(const model::Problem &problem, unsigned int level) const = 0;
    /// One SGD run of @p problem with seed @p seed.
    virtual model::ReducedLawTrajectory
    sgd(const model::Problem &problem, unsigned int seed) const = 0;
  };

  /**
   * Runs the kernel limit, the tangent model and, for every alpha of the
   * parameters, the PDE and the SGD seeds; rank 0 writes kernel.csv,
   * kernel_summary.csv, kernel_rates.csv, kernel_report.md and the plots into
   * the output folder and prints the report.
   */
  class KernelStudy
  {
  public:
    /// @p problem as the dynamics are run (in section-6 units if the
    /// parameters say so); @p time_name the name of the time column.
    KernelStudy(model::Problem problem, KernelLimitParameters parameters, io::OutputParameters output,
                std::string time_name);

    void
    run(const ScaledEvolutions &evolutions, unsigned int first_sgd_seed) const;

    /// The time convention, in words, for the log and the report.
    static const char *
    time_convention();

  private:
    model::Problem        problem;
    KernelLimitParameters parameters;
    io::OutputParameters  output;
    std::string           time_name;
  };
} // namespace mfdd::ntk
