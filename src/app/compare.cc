// `mfdd compare`: one PDE solve against SGD runs for a list of seeds.
#include "evolutions.h"

#include <mfdd/app/commands.h>
#include <mfdd/compare/comparison.h>
#include <mfdd/compare/parameters.h>

#include <deal.II/base/mpi.h>

#include <iostream>

namespace mfdd::app
{
  int
  run_compare(RunContext &context)
  {
    auto                         &prm = context.prm;
    compare::ComparisonParameters comparison;
    comparison.parse_parameters(prm, context.problem);
    const auto pde_parameters = context.pde_parameters(context.problem.reduced_setting().dimension());
    particles::SgdParameters sgd_parameters;
    sgd_parameters.parse_parameters(prm);
    sgd_parameters.check(context.problem);
    context.check_sgd_cost(context.problem, sgd_parameters, comparison.seeds.size());
    context.start_output();

    const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    if (root)
      std::cout << context.problem.summary() << "\ncompare: PDE solve" << std::endl;
    const auto pde = solve_pde(context.problem, pde_parameters, context.output, 0, MPI_COMM_WORLD);

    std::vector<model::ReducedLawTrajectory> runs;
    for (const unsigned int seed : comparison.seeds)
      {
        if (root)
          std::cout << "compare: SGD, seed " << seed << std::endl;
        runs.push_back(particles::run_sgd(context.problem, sgd_parameters, seed, MPI_COMM_WORLD));
      }

    if (!root)
      return 0;
    const auto                    metrics = comparison.metrics(context.problem);
    const compare::SeedComparison result(metrics, pde, runs);
    result.write_table(context.output.path("compare.csv"));
    result.write_summary(context.output.path("compare_summary.csv"));
    std::cout << "compare: sup over t of each gap, mean over " << runs.size() << " seeds +- 95% interval:\n";
    for (std::size_t m = 0; m < metrics.names().size(); ++m)
      std::cout << "  " << metrics.names()[m] << " = " << result.sup_statistics()[m].mean << " +- "
                << result.sup_statistics()[m].half_width << '\n';
    std::cout << std::flush;
    return 0;
  }
} // namespace mfdd::app
