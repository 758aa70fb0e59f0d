// The evolutions that `mfdd compare` and `mfdd study` compare, wired from the
// PDE solver and the SGD simulator (app/ is where areas meet; compare/ only
// sees model::ReducedLawTrajectory).
#pragma once

#include <mfdd/compare/study.h>
#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/particles/sgd.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/parameter_handler.h>

#include <map>
#include <mpi.h>

namespace mfdd::app
{
  /// @p parameters for the solves of a self-convergence check (level 0 and
  /// 1 of solve_pde()): automatic Refinements for tolerance becomes 0, since the
  /// check measures the PDE's error by its own finer solve.
  pde::SolverParameters
  for_self_convergence(pde::SolverParameters parameters);

  /// One PDE solve of @p problem (reduced dimension 1 or 2) on @p comm,
  /// without files; @p level 1 is the finer solve of the self-convergence
  /// check (one more global refinement, half a fixed time step, 1.5x the
  /// potential's interpolation nodes).
  model::ReducedLawTrajectory
  solve_pde(const model::Problem           &problem,
            const pde::SolverParameters    &parameters,
            const io::OutputParameters     &output,
            unsigned int                    level,
            MPI_Comm                        comm);

  /**
   * The evolutions of a study: one problem per dimension d (the Problem
   * section with Problem/Dimension d replaced), the PDE section, and the SGD
   * section with N, epsilon and the seed of each run replaced.
   */
  class StudyEvolutions : public compare::Evolutions
  {
  public:
    StudyEvolutions(std::map<unsigned int, model::Problem> problems,
                    pde::SolverParameters                  pde_parameters,
                    particles::SgdParameters               sgd_parameters,
                    io::OutputParameters                   output);

    model::ReducedLawTrajectory
    pde(unsigned int d, unsigned int level) const override;
    model::ReducedLawTrajectory
    sgd(const compare::RunKey &run) const override;
    /// The SGD's cost model: steps and exact-risk records.
    double
    cost(const compare::RunKey &run) const override;
    /// cost() in seconds of one core.
    double
    core_seconds(const compare::RunKey &run) const;

  private:
    particles::SgdParameters
    run_parameters(const compare::RunKey &run) const;

    std::map<unsigned int, model::Problem> problems;
    pde::SolverParameters                  pde_parameters;
    particles::SgdParameters               sgd_parameters;
    io::OutputParameters                   output;
  };
} // namespace mfdd::app
