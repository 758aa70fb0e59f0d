// `mfdd sgd`: one SGD run of the problem with the SGD section's seed.
#include <mfdd/app/commands.h>
#include <mfdd/particles/sgd.h>

#include <deal.II/base/mpi.h>

#include <iomanip>
#include <iostream>

namespace mfdd::app
{
  int
  run_sgd(RunContext &context)
  {
    particles::SgdParameters parameters;
    parameters.parse_parameters(context.prm);
    particles::SgdSimulator simulator(context.problem, parameters, parameters.seed, MPI_COMM_WORLD);
    context.check_sgd_cost(context.problem, parameters, 1);
    context.start_output();

    const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    if (root)
      std::cout << context.problem.summary() << "\nsgd: N = " << parameters.N << ", epsilon = " << parameters.epsilon
                << ", B = " << parameters.batch_size << ", seed " << parameters.seed << ", "
                << parameters.n_steps(context.problem) << " steps, exact risk every "
                << parameters.exact_risk_period(context.problem, parameters.n_output_times(context.problem))
                << " output time(s) (0: never)" << std::endl;
    const auto trajectory = simulator.run(&context.output, true);
    if (root)
      std::cout << "sgd: t = " << trajectory.back().t << ", risk_exact " << std::setprecision(12)
                << trajectory.back().risk << " (t = 0: " << trajectory.front().risk << "), output in "
                << context.output.folder << std::endl;
    return 0;
  }
} // namespace mfdd::app
