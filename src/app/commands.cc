#include <mfdd/app/commands.h>
#include <mfdd/compare/parameters.h>
#include <mfdd/io/input_error.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/ntk/parameters.h>
#include <mfdd/particles/sgd.h>
#include <mfdd/pde/gibbs.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/mpi.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mfdd::app
{
  void
  RunContext::start_output() const
  {
    output.prepare_folder();
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      {
        std::ofstream out(output.path("parameters.prm"));
        prm.print_parameters(out, dealii::ParameterHandler::ShortPRM);
      }
  }

  void
  RunContext::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Run");
    prm.declare_entry("Maximum estimated hours", "24", dealii::Patterns::Double(0.),
                      "A run whose estimated wall time (from the SGD's cost model, spread over the MPI "
                      "ranks) exceeds this many hours is refused before it starts: a guard against a typo "
                      "such as a step size of 1e-12. Raise it for long runs on purpose.");
    prm.leave_subsection();
  }

  void
  RunContext::parse_parameters()
  {
    problem.parse_parameters(prm);
    output.parse_parameters(prm);
    prm.enter_subsection("Run");
    maximum_hours = prm.get_double("Maximum estimated hours");
    prm.leave_subsection();
    if (!(maximum_hours > 0.))
      throw io::InputError("Run/Maximum estimated hours = " + dealii::Utilities::to_string(maximum_hours) +
                           ": must be > 0");
  }

  void
  RunContext::check_cost(double core_seconds, const std::string &what, const std::string &cause) const
  {
    const unsigned int ranks = dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    const double       hours = core_seconds / ranks / 3600.;
    if (hours > maximum_hours)
      {
        std::ostringstream text;
        text << std::setprecision(3) << "Run/Maximum estimated hours = " << maximum_hours << ": the " << what
             << " is estimated at " << hours << " hours on " << ranks << " rank(s) (" << cause
             << "); change those parameters or raise Run/Maximum estimated hours";
        throw io::InputError(text.str());
      }
    // A string stream, so that std::cout keeps its precision.
    std::ostringstream line;
    line << "estimated cost of the " << what << ": " << std::setprecision(3)
         << (hours < 1. / 60. ? hours * 3600. : hours < 1. ? hours * 60. : hours)
         << (hours < 1. / 60. ? " s" : hours < 1. ? " min" : " h") << " on " << ranks
         << " rank(s), from the SGD's cost model";
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << line.str() << std::endl;
  }

  void
  RunContext::check_sgd_cost(const model::Problem &problem, const particles::SgdParameters &sgd, unsigned int runs) const
  {
    std::ostringstream cause;
    cause << runs << " SGD run(s) of " << sgd.n_steps(problem) << " steps (Problem/Final time = "
          << problem.final_time << " over SGD/Step size epsilon = " << sgd.epsilon << ") with SGD/Number of neurons N = " << sgd.N
          << " in Problem/Dimension d = " << problem.d;
    check_cost(runs * sgd.estimated_core_seconds(problem), "SGD", cause.str());
  }

  pde::SolverParameters
  RunContext::pde_parameters(unsigned int dim) const
  {
    pde::SolverParameters parameters;
    parameters.parse_parameters(prm, dim);
    if (!parameters.mesh_file.empty() && std::filesystem::path(parameters.mesh_file).is_relative())
      parameters.mesh_file =
        (std::filesystem::path(parameter_file).parent_path() / parameters.mesh_file).lexically_normal().string();
    return parameters;
  }

  const std::vector<Command> &
  commands()
  {
    static const std::vector<Command> list = {
      {"info", "print the problem, its reduced kernels and the initial risk R(rho_0)", &run_info},
      {"pde", "solve the reduced distributional dynamics with upwind DG (pde.pvd, pde_diagnostics.csv)", &run_pde},
      {"compare", "one PDE solve against SGD runs for a list of seeds (compare.csv, compare_summary.csv)", &run_compare},
      {"study", "sweep N, epsilon and d; fitted rates, plots and report.md (resumable, MPI)", &run_study},
      {"sgd", "run one-pass SGD of N neurons in dimension d (sgd_diagnostics.csv, sgd_reduced_<n>.csv, sgd.pvd)", &run_sgd},
      {"kernel", "alpha-scaled PDE and SGD against the kernel (NTK) limit (kernel.csv, kernel_report.md, PNGs)", &run_kernel},
      {"gibbs", "the stationary state of the noisy dynamics, solved directly (gibbs.pvd, gibbs.csv, gibbs_summary.csv)", &run_gibbs},
    };
    return list;
  }

  void
  declare_all_parameters(dealii::ParameterHandler &prm)
  {
    model::Problem::declare_parameters(prm);
    io::OutputParameters::declare_parameters(prm);
    RunContext::declare_parameters(prm);
    particles::SgdParameters::declare_parameters(prm);
    compare::ComparisonParameters::declare_parameters(prm);
    compare::StudyParameters::declare_parameters(prm);
    pde::SolverParameters::declare_parameters(prm);
    pde::GibbsParameters::declare_parameters(prm);
    ntk::KernelLimitParameters::declare_parameters(prm);
  }

  int
  run_info(RunContext &context)
  {
    context.start_output();
    const auto &problem = context.problem;
    const auto &setting = problem.reduced_setting();
    const kernels::PopulationKernels kernels(problem);
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
      return 0;

    std::cout << problem.summary() << "\n\n";
    // As many pairs in 3D (20^3 points) as in 2D (60^2 would be 4.5x fewer).
    const unsigned int nodes[] = {200, 60, 20};
    const auto initial = model::initial_law_quadrature(setting, nodes[setting.dimension() - 1]);
    double     mass = 0., risk = kernels.risk(initial.points, initial.weights);
    for (const double w : initial.weights)
      mass += w;

    // Kernel values along the diagonal z = z' for radii spanning the initial law.
    const auto [lower, upper] = setting.initial_support(1e-6);
    std::cout << "kernels along the diagonal (other coordinates at the middle of the initial law):\n"
              << "  " << std::setw(10) << setting.coordinate_names()[setting.first_radius()] << std::setw(18)
              << "V(z)" << std::setw(18) << "U(z, z)" << '\n';
    std::vector<double> z(setting.dimension());
    for (unsigned int k = 0; k < z.size(); ++k)
      z[k] = 0.5 * (lower[k] + upper[k]);
    const unsigned int r = setting.first_radius();
    for (unsigned int i = 0; i <= 4; ++i)
      {
        z[r] = lower[r] + (upper[r] - lower[r]) * i / 4.;
        std::cout << "  " << std::setw(10) << std::setprecision(4) << z[r] << std::setw(18)
                  << std::setprecision(10) << kernels.V(z.data()) << std::setw(18)
                  << kernels.U(z.data(), z.data()) << '\n';
      }
    std::cout << "\ninitial law: mass " << std::setprecision(15) << mass << "\nR(rho_0) = " << risk << std::endl;
    return 0;
  }
} // namespace mfdd::app
