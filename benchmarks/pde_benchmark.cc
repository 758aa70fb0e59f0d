// Wall time against accuracy of the PDE solver:
//  1. the 1D running example (params/pde_radius.prm, T = 2): risk error at T
//     against a reference on 480 cells, for several meshes, one core;
//  2. cost per time step against the number of cells for the 1D example and
//     the 2D (a, r) example (params/pde_amplitude_radius.prm, T = 0.2);
//  3. the 1D example on adaptive meshes (50 cells, up to 2 and 3 levels finer).
// Usage: pde_benchmark (from any folder; reads the shipped parameter files).
//        mpirun -np 2 pde_benchmark --2d-final: only the 2D (a, r) example to
//        T = 2 on all ranks, uniform 48 x 48 (pde_amplitude_radius.prm) against
//        the adaptive mesh of pde_adaptive.prm.
//        pde_benchmark --imex: only the noisy 1D case params/gibbs_radius.prm
//        (d = 20, tau = 1, lambda = 0.5) to T = 10 with PDE/Noise time stepping
//        explicit and implicit: steps, seconds, final risks, |dR| and the ratio.
#include <mfdd/io/parameter_file.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/gibbs.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/mpi.h>

#include <chrono>
#include <iomanip>
#include <iostream>

using namespace mfdd;

namespace
{
  struct Example
  {
    model::Problem        problem;
    pde::SolverParameters parameters;
  };

  Example
  read_example(const std::string &name, const std::vector<std::string> &settings)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    io::OutputParameters::declare_parameters(prm);
    pde::SolverParameters::declare_parameters(prm);
    pde::GibbsParameters::declare_parameters(prm); // gibbs_radius.prm sets it
    io::read_parameter_file(prm, std::string(MFDD_SOURCE_DIR) + "/params/" + name, settings);
    Example example;
    example.problem.parse_parameters(prm);
    example.parameters.parse_parameters(prm, example.problem.reduced_setting().dimension());
    return example;
  }

  struct Timing
  {
    double risk, seconds, setup_seconds;
    unsigned int cells, steps;
  };

  template <int dim>
  Timing
  time_run(const Example &example, const pde::SolverParameters &parameters, const kernels::PopulationKernels &kernels,
           MPI_Comm communicator = MPI_COMM_SELF)
  {
    using Clock      = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto       potential = std::make_shared<pde::NonlocalPotential<dim>>(kernels, parameters.potential_nodes);
    pde::Solver<dim> solver(example.problem, parameters, potential, communicator);
    solver.make_mesh();
    solver.set_initial_density();
    const auto stepping = Clock::now();
    solver.advance(example.problem.final_time);
    const auto end = Clock::now();
    return {solver.risk(), std::chrono::duration<double>(end - stepping).count(),
            std::chrono::duration<double>(stepping - start).count(), solver.n_cells(), solver.n_steps()};
  }
} // namespace

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  if (argc > 1 && std::string(argv[1]) == "--imex")
    {
      const Example                    example = read_example("gibbs_radius.prm", {});
      const kernels::PopulationKernels kernels(example.problem);
      std::cout << "noisy 1D gibbs_radius.prm to T = " << example.problem.final_time
                << "\nnoise      steps  stepping[s]  R(T)\n";
      std::vector<Timing> timings;
      for (const std::string mode : {"explicit", "implicit"})
        {
          auto parameters                = example.parameters;
          parameters.noise_time_stepping = mode;
          timings.push_back(time_run<1>(example, parameters, kernels));
          const Timing &t = timings.back();
          std::cout << std::left << std::setw(9) << mode << std::right << std::setw(8) << t.steps
                    << std::setprecision(3) << std::setw(13) << t.seconds << std::setprecision(14) << std::setw(20)
                    << t.risk << '\n';
        }
      std::cout << "|dR| = " << std::setprecision(3) << std::abs(timings[0].risk - timings[1].risk)
                << ", explicit / implicit time = " << timings[0].seconds / timings[1].seconds << std::endl;
      return 0;
    }
  if (argc > 1 && std::string(argv[1]) == "--2d-final")
    {
      const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
      if (root)
        std::cout << "2D (a, r) example to T = 2 on " << dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD)
                  << " ranks\nmesh                      cells(T)  steps  setup[s]  stepping[s]  R(T)\n";
      for (const std::string file : {"pde_amplitude_radius.prm", "pde_adaptive.prm"})
        {
          const Example                    example = read_example(file, {"PDE/Sample cells=10"});
          const kernels::PopulationKernels kernels(example.problem);
          const Timing t = time_run<2>(example, example.parameters, kernels, MPI_COMM_WORLD);
          if (root)
            std::cout << std::left << std::setw(26) << file << std::right << std::setw(8) << t.cells << std::setw(7)
                      << t.steps << std::setprecision(3) << std::setw(10) << t.setup_seconds << std::setw(13)
                      << t.seconds << std::setprecision(10) << std::setw(16) << t.risk << std::endl;
        }
      return 0;
    }
  {
    const Example                    example = read_example("pde_radius.prm", {});
    const kernels::PopulationKernels kernels(example.problem);
    auto                             reference_parameters = example.parameters;
    reference_parameters.subdivisions                     = {480};
    const double reference = time_run<1>(example, reference_parameters, kernels).risk;
    std::cout << "1D running example (exact kernel, d = 40, T = 2), reference R(T) on 480 cells = "
              << std::setprecision(14) << reference << "\n"
              << "cells  steps  setup[s]  stepping[s]  us/step/cell  |R(T) - reference|\n";
    for (const unsigned int n : {30u, 60u, 100u, 150u, 240u})
      {
        auto parameters         = example.parameters;
        parameters.subdivisions = {n};
        const Timing t          = time_run<1>(example, parameters, kernels);
        std::cout << std::setw(5) << t.cells << std::setw(7) << t.steps << std::setprecision(3) << std::setw(10)
                  << t.setup_seconds << std::setw(13) << t.seconds << std::setw(14)
                  << 1e6 * t.seconds / t.steps / t.cells << std::setw(20) << std::abs(t.risk - reference) << '\n';
      }
    std::cout << "\nadaptive (50 cells, Interval 10)\n"
              << "levels  cells(T)  steps  setup[s]  stepping[s]  |R(T) - reference|\n";
    for (const unsigned int levels : {2u, 3u})
      {
        auto parameters                     = example.parameters;
        parameters.subdivisions             = {50};
        parameters.adaptivity.interval      = 10;
        parameters.adaptivity.maximum_level = levels;
        const Timing t                      = time_run<1>(example, parameters, kernels);
        std::cout << std::setw(6) << levels << std::setw(10) << t.cells << std::setw(7) << t.steps
                  << std::setprecision(3) << std::setw(10) << t.setup_seconds << std::setw(13) << t.seconds
                  << std::setw(20) << std::abs(t.risk - reference) << '\n';
      }
  }
  {
    const Example example =
      read_example("pde_amplitude_radius.prm", {"Problem/Final time=0.2", "PDE/Sample cells=10"});
    const kernels::PopulationKernels kernels(example.problem);
    std::cout << "\n2D (a, r) example, T = 0.2, one rank\n"
              << "cells  steps  setup[s]  stepping[s]  us/step/cell\n";
    for (const unsigned int n : {12u, 24u, 48u})
      {
        auto parameters         = example.parameters;
        parameters.subdivisions = {n, n};
        const Timing t          = time_run<2>(example, parameters, kernels);
        std::cout << std::setw(5) << t.cells << std::setw(7) << t.steps << std::setprecision(3) << std::setw(10)
                  << t.setup_seconds << std::setw(13) << t.seconds << std::setw(14)
                  << 1e6 * t.seconds / t.steps / t.cells << '\n';
      }
  }
  return 0;
}
