#include <mfdd/io/input_error.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/solver.h>

namespace mfdd::pde
{
  namespace
  {
    template <int dim>
    model::ReducedLawTrajectory
    solve_in_dimension(const model::Problem &problem, const SolverParameters &parameters,
                       const io::OutputParameters &output, bool write_files,
                       const std::function<void()> &before_output, MPI_Comm communicator)
    {
      const kernels::PopulationKernels kernels(problem);
      auto        potential = std::make_shared<NonlocalPotential<dim>>(kernels, parameters.potential_nodes, communicator);
      Solver<dim> solver(problem, parameters, potential, communicator);
      solver.make_mesh();
      solver.set_initial_density();
      if (before_output)
        before_output();
      return solver.run(output, write_files);
    }
  } // namespace

  model::ReducedLawTrajectory
  solve(const model::Problem &problem, const SolverParameters &parameters, const io::OutputParameters &output,
        bool write_files, const std::function<void()> &before_output, MPI_Comm communicator)
  {
    io::require(problem.temperature == 0. || problem.alpha == 1., "Problem/Temperature tau",
                "noise needs Problem/Scaling alpha = 1");
    io::require(problem.weight_decay == 0. || problem.alpha == 1., "Problem/Weight decay lambda",
                "weight decay needs Problem/Scaling alpha = 1");
    if (problem.reduced_setting().dimension() == 1)
      return solve_in_dimension<1>(problem, parameters, output, write_files, before_output, communicator);
    return solve_in_dimension<2>(problem, parameters, output, write_files, before_output, communicator);
  }
} // namespace mfdd::pde
