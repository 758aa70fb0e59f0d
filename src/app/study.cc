// `mfdd study`: the sweep over N, epsilon and d of doc/theory.md §5.
#include "evolutions.h"

#include <mfdd/app/commands.h>
#include <mfdd/compare/parameters.h>
#include <mfdd/compare/study.h>
#include <mfdd/io/input_error.h>

#include <deal.II/base/mpi.h>

#include <cmath>
#include <sstream>

namespace mfdd::app
{
  namespace
  {
    // Every parameter but the output folder: what makes two studies the same.
    std::string
    study_definition(dealii::ParameterHandler &prm)
    {
      prm.enter_subsection("Output");
      const std::string folder = prm.get("Folder");
      prm.set("Folder", "(not part of the study definition)");
      prm.leave_subsection();
      std::ostringstream text;
      prm.print_parameters(text, dealii::ParameterHandler::ShortPRM);
      prm.enter_subsection("Output");
      prm.set("Folder", folder);
      prm.leave_subsection();
      return text.str();
    }
  } // namespace

  int
  run_study(RunContext &context)
  {
    auto &prm = context.prm;
    compare::StudyParameters study;
    study.parse_parameters(prm);
    compare::ComparisonParameters comparison;
    comparison.parse_parameters(prm, context.problem);
    std::map<unsigned int, model::Problem> problems;
    for (const unsigned int d : study.dimensions)
      problems.emplace(d, compare::problem_with_dimension(prm, d));
    const auto pde_parameters = context.pde_parameters(context.problem.reduced_setting().dimension());
    particles::SgdParameters sgd_parameters;
    sgd_parameters.parse_parameters(prm);
    // Every run's (N, epsilon) must suit the SGD (e.g. T/epsilon an integer).
    for (const auto &[d, problem] : problems)
      for (const unsigned int N : study.widths)
        for (const double epsilon : study.all_step_sizes())
          {
            particles::SgdParameters run = sgd_parameters;
            run.N                        = N;
            run.epsilon                  = epsilon;
            try
              {
                run.check(problem);
              }
            catch (const io::InputError &e)
              {
                throw io::InputError("Study/Step sizes epsilon, Study/Widths N: the SGD cannot run N = " +
                                     std::to_string(N) + ", epsilon = " + dealii::Utilities::to_string(epsilon) +
                                     " in d = " + std::to_string(d) + " (" + e.what() + ")");
              }
          }

    // Error times must be output times (multiples of the output interval, or T).
    for (const double t : study.error_times)
      {
        const double T = context.problem.final_time, k = t / sgd_parameters.output_interval;
        const bool   output_time = std::abs(t - T) <= 1e-12 * T || (t < T && std::abs(k - std::round(k)) <= 1e-9 * std::max(1., k));
        io::require(output_time, "Study/Error times",
                    "t = " + dealii::Utilities::to_string(t) + " is not an output time; choose multiples of "
                      "Output/Output interval = " + dealii::Utilities::to_string(sgd_parameters.output_interval) +
                      " up to Problem/Final time = " + dealii::Utilities::to_string(T));
      }

    // The whole study's SGD work (a rerun that resumes pays less; the guard is for typos).
    {
      const StudyEvolutions probe(problems, pde_parameters, sgd_parameters, context.output);
      const auto            runs  = compare::study_runs(study);
      double                total = 0.;
      for (const auto &run : runs)
        total += probe.core_seconds(run);
      context.check_cost(total, "study", std::to_string(runs.size()) +
                                           " SGD runs of Study/Widths N, Study/Step sizes epsilon, Study/Dimensions d "
                                           "and seeds");
    }

    const std::string definition = study_definition(prm);
    std::string       problem;
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      try
        {
          compare::check_study_definition(context.output.folder, definition);
        }
      catch (const io::InputError &e)
        {
          problem = e.what();
        }
    problem = dealii::Utilities::MPI::broadcast(MPI_COMM_WORLD, problem, 0);
    if (!problem.empty())
      throw io::InputError(problem);

    context.start_output();
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      compare::write_study_definition(context.output.folder, definition);

    const StudyEvolutions evolutions(std::move(problems), pde_parameters, sgd_parameters, context.output);
    const compare::Study  driver(study, comparison.metrics(context.problem), context.output.folder,
                                context.problem.neuron_dimension() - context.problem.d);
    driver.run(evolutions, MPI_COMM_WORLD);
    return 0;
  }
} // namespace mfdd::app
