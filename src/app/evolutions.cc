#include "evolutions.h"

#include <mfdd/pde/solver.h>

#include <algorithm>

namespace mfdd::app
{
  pde::SolverParameters
  for_self_convergence(pde::SolverParameters parameters)
  {
    if (!parameters.tolerance_refinements)
      parameters.tolerance_refinements = 0;
    return parameters;
  }

  model::ReducedLawTrajectory
  solve_pde(const model::Problem        &problem,
            const pde::SolverParameters &parameters,
            const io::OutputParameters  &output,
            unsigned int                 level,
            MPI_Comm                     comm)
  {
    pde::SolverParameters p = parameters;
    if (level > 0)
      {
        p.global_refinements += level;
        p.time_step /= (1u << level);
        p.potential_nodes = p.potential_nodes + p.potential_nodes * level / 2;
      }
    return pde::solve(problem, p, output, false, {}, comm);
  }
} // namespace mfdd::app

namespace mfdd::app
{
  StudyEvolutions::StudyEvolutions(std::map<unsigned int, model::Problem> problems,
                                   pde::SolverParameters                  pde_parameters,
                                   particles::SgdParameters               sgd_parameters,
                                   io::OutputParameters                   output)
    : problems(std::move(problems))
    , pde_parameters(for_self_convergence(std::move(pde_parameters)))
    , sgd_parameters(std::move(sgd_parameters))
    , output(std::move(output))
  {}

  model::ReducedLawTrajectory
  StudyEvolutions::pde(unsigned int d, unsigned int level) const
  {
    return solve_pde(problems.at(d), pde_parameters, output, level, MPI_COMM_SELF);
  }

  particles::SgdParameters
  StudyEvolutions::run_parameters(const compare::RunKey &run) const
  {
    particles::SgdParameters parameters = sgd_parameters;
    parameters.N                        = run.N;
    parameters.epsilon                  = run.epsilon;
    return parameters;
  }

  model::ReducedLawTrajectory
  StudyEvolutions::sgd(const compare::RunKey &run) const
  {
    return particles::run_sgd(problems.at(run.d), run_parameters(run), run.seed, MPI_COMM_SELF);
  }

  double
  StudyEvolutions::cost(const compare::RunKey &run) const
  {
    return run_parameters(run).estimated_cost(problems.at(run.d));
  }

  double
  StudyEvolutions::core_seconds(const compare::RunKey &run) const
  {
    return run_parameters(run).estimated_core_seconds(problems.at(run.d));
  }
} // namespace mfdd::app
