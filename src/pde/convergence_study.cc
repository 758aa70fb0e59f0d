// The `PDE/Convergence study` key: h-, p- or dt-refinement of one solve.
#include <mfdd/io/output.h>
#include <mfdd/pde/convergence_study.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/convergence_table.h>
#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace mfdd::pde
{
  namespace
  {
    /// The solver parameters of level @p level of the study.
    SolverParameters
    refined(const SolverParameters &parameters, unsigned int level)
    {
      SolverParameters p    = parameters;
      p.risk_error_estimate = false; // the study measures the errors itself
      if (parameters.convergence_study == "h")
        p.global_refinements += level;
      else if (parameters.convergence_study == "p")
        p.degree += level;
      else if (p.time_step > 0.)
        p.time_step /= double(1u << level);
      else
        p.cfl /= double(1u << level);
      return p;
    }

    /// What level @p level varies: its global refinements, degree or time-step factor.
    double
    refinement(const SolverParameters &parameters, unsigned int level)
    {
      const auto p = refined(parameters, level);
      return parameters.convergence_study == "h" ? double(p.global_refinements) :
             parameters.convergence_study == "p" ? double(p.degree) :
                                                   1. / double(1u << level);
    }

    /// The mean of each reduced coordinate of a snapshot (its weighted points).
    std::vector<double>
    means(const model::ReducedLawSnapshot &snapshot, unsigned int dim)
    {
      std::vector<double> result(dim, 0.);
      for (std::size_t p = 0; p < snapshot.weights.size(); ++p)
        for (unsigned int k = 0; k < dim; ++k)
          result[k] += snapshot.points[p * dim + k] * snapshot.weights[p];
      return result;
    }
  } // namespace

  void
  run_convergence_study(const model::Problem &problem, const SolverParameters &parameters,
                        const io::OutputParameters &output, const std::function<void()> &before_output,
                        MPI_Comm communicator)
  {
    const bool         root  = dealii::Utilities::MPI::this_mpi_process(communicator) == 0;
    const unsigned int dim   = problem.reduced_setting().dimension();
    const auto         names = problem.reduced_setting().coordinate_names();
    const std::string &kind  = parameters.convergence_study;

    std::vector<model::ReducedLawTrajectory> solves;
    for (unsigned int level = 0; level < parameters.convergence_levels; ++level)
      {
        if (root)
          std::cout << "convergence study (" << kind << "): level " << level + 1 << " of "
                    << parameters.convergence_levels << std::endl;
        solves.push_back(solve(problem, refined(parameters, level), output, false,
                               level == 0 ? before_output : std::function<void()>(), communicator));
      }

    // Errors of every level but the finest against the finest, sup over the output times.
    const auto              &finest = solves.back();
    dealii::ConvergenceTable table;
    std::vector<std::string> columns = {"level", kind == "h" ? "global_refinements" : kind == "p" ? "degree" : "dt_factor",
                                        "risk_error", "risk_order"};
    for (const auto &name : names)
      {
        columns.push_back("mean_" + name + "_error");
        columns.push_back("mean_" + name + "_order");
      }
    std::vector<std::vector<double>> finest_means;
    for (const auto &snapshot : finest)
      finest_means.push_back(means(snapshot, dim));
    std::vector<std::vector<double>> errors(solves.size() - 1);
    for (unsigned int level = 0; level + 1 < solves.size(); ++level)
      {
        std::vector<double> error(1 + dim, 0.);
        for (std::size_t i = 0; i < finest.size(); ++i)
          {
            error[0]        = std::max(error[0], std::abs(solves[level][i].risk - finest[i].risk));
            const auto mean = means(solves[level][i], dim);
            for (unsigned int k = 0; k < dim; ++k)
              error[1 + k] = std::max(error[1 + k], std::abs(mean[k] - finest_means[i][k]));
          }
        errors[level] = error;
        table.add_value("level", level);
        table.add_value(columns[1], refinement(parameters, level));
        table.set_precision(columns[1], kind == "dt" ? 6 : 0);
        table.add_value("risk_error", error[0]);
        table.set_scientific("risk_error", true);
        for (unsigned int k = 0; k < dim; ++k)
          {
            table.add_value("mean_" + names[k] + "_error", error[1 + k]);
            table.set_scientific("mean_" + names[k] + "_error", true);
          }
      }
    table.evaluate_convergence_rates("risk_error", dealii::ConvergenceTable::reduction_rate_log2);
    for (const auto &name : names)
      table.evaluate_convergence_rates("mean_" + name + "_error", dealii::ConvergenceTable::reduction_rate_log2);
    if (!root)
      return;
    table.write_text(std::cout);
    // The same orders as the table's reduction_rate_log2, into the CSV file.
    io::CsvWriter csv(output.path("convergence.csv"), columns);
    for (unsigned int level = 0; level < errors.size(); ++level)
      {
        std::vector<double> row = {double(level), refinement(parameters, level)};
        for (unsigned int m = 0; m <= dim; ++m)
          {
            row.push_back(errors[level][m]);
            row.push_back(level == 0 ? NAN : std::log2(errors[level - 1][m] / errors[level][m]));
          }
        csv.add_row(row);
      }
    std::cout << "convergence study: errors against the finest level in " << output.path("convergence.csv")
              << std::endl;
  }
} // namespace mfdd::pde
