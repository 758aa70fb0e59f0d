#include <mfdd/app/commands.h>
#include <mfdd/pde/solver.h>

#include <filesystem>
#include <iomanip>
#include <iostream>

namespace mfdd::app
{
  int
  run_pde(RunContext &context)
  {
    pde::SolverParameters parameters;
    parameters.parse_parameters(context.prm, context.problem.reduced_setting().dimension());
    // A relative mesh path is relative to the parameter file's folder.
    if (!parameters.mesh_file.empty() && std::filesystem::path(parameters.mesh_file).is_relative())
      parameters.mesh_file =
        (std::filesystem::path(context.parameter_file).parent_path() / parameters.mesh_file).lexically_normal().string();

    const auto trajectory =
      pde::solve(context.problem, parameters, context.output, true, [&context]() { context.start_output(); });
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "pde: t = " << trajectory.back().t << ", risk " << std::setprecision(12)
                << trajectory.back().risk << " (R(rho_0) = " << trajectory.front().risk << "), output in "
                << context.output.folder << std::endl;
    return 0;
  }
} // namespace mfdd::app
