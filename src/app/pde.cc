#include <mfdd/app/commands.h>
#include <mfdd/pde/convergence_study.h>
#include <mfdd/pde/gibbs.h>
#include <mfdd/pde/solver.h>

#include <iomanip>
#include <iostream>

namespace mfdd::app
{
  int
  run_pde(RunContext &context)
  {
    const auto parameters = context.pde_parameters(context.problem.reduced_setting().dimension());
    if (parameters.convergence_study != "none")
      {
        pde::run_convergence_study(context.problem, parameters, context.output, [&context]() { context.start_output(); });
        return 0;
      }

    const auto trajectory =
      pde::solve(context.problem, parameters, context.output, true, [&context]() { context.start_output(); });
    const double risk_error = model::sup_risk_error_estimate(trajectory);
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "pde: t = " << trajectory.back().t << ", risk " << std::setprecision(12)
                << trajectory.back().risk << " (R(rho_0) = " << trajectory.front().risk
                << "), risk error estimate (sup over t) " << std::setprecision(3) << risk_error << ", output in "
                << context.output.folder << std::endl;
    return 0;
  }

  int
  run_gibbs(RunContext &context)
  {
    const auto           parameters = context.pde_parameters(context.problem.reduced_setting().dimension());
    pde::GibbsParameters gibbs;
    gibbs.parse_parameters(context.prm);
    const auto result =
      pde::solve_gibbs(context.problem, parameters, gibbs, context.output, true, [&context]() { context.start_output(); });
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "gibbs: " << (result.converged ? "converged" : "NOT converged") << " after " << result.iterations
                << " iterations (residual " << std::setprecision(3) << result.residual << "), risk "
                << std::setprecision(12) << result.risk << ", free energy " << result.free_energy << ", output in "
                << context.output.folder << std::endl;
    return 0;
  }
} // namespace mfdd::app
