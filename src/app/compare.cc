// `mfdd compare`: one PDE solve against SGD runs for a list of seeds and, for
// noisy dynamics with weight decay, both against the Gibbs state.
#include "evolutions.h"

#include <mfdd/app/commands.h>
#include <mfdd/compare/comparison.h>
#include <mfdd/compare/parameters.h>
#include <mfdd/pde/gibbs.h>

#include <deal.II/base/mpi.h>

#include <iostream>
#include <optional>

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

    // A stationary state exists with noise and a confining weight decay.
    std::optional<pde::GibbsResult> gibbs;
    const bool confined = context.problem.temperature > 0. && context.problem.weight_decay > 0.;
    if (confined)
      {
        if (root)
          std::cout << "compare: Gibbs state" << std::endl;
        pde::GibbsParameters gibbs_parameters;
        gibbs_parameters.parse_parameters(prm);
        gibbs = pde::solve_gibbs(context.problem, pde_parameters, gibbs_parameters, context.output, true);
      }
    else if (root && context.problem.temperature > 0.)
      std::cout << "compare: no Gibbs state to compare with (Problem/Weight decay lambda = 0: nothing confines "
                   "the noisy dynamics)"
                << std::endl;

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
      {
        std::cout << "  " << metrics.names()[m] << " = " << result.sup_statistics()[m].mean << " +- "
                  << result.sup_statistics()[m].half_width;
        if (result.resolved(m) == "no")
          std::cout << "  NOT RESOLVED: the PDE's risk error estimate " << result.pde_error_estimates()[m]
                    << " is not 10x below it (refine the PDE mesh: PDE/Global refinements)";
        std::cout << '\n';
      }
    if (gibbs)
      {
        const compare::StationaryComparison stationary(metrics, gibbs->state, pde.back(), runs);
        stationary.write(context.output.path("compare_gibbs.csv"));
        std::cout << "compare: at t = " << pde.back().t << " against the Gibbs state (risk " << gibbs->risk
                  << "): PDE, and SGD mean over seeds +- 95% interval:\n";
        for (std::size_t m = 0; m < metrics.names().size(); ++m)
          std::cout << "  " << metrics.names()[m] << " = " << stationary.pde_gaps()[m] << ", "
                    << stationary.sgd_statistics()[m].mean << " +- " << stationary.sgd_statistics()[m].half_width
                    << '\n';
      }
    std::cout << std::flush;
    return 0;
  }
} // namespace mfdd::app
