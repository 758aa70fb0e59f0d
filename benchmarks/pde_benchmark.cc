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
//        pde_benchmark --operator: only the DG operator, the matrix-free
//        DgOperator against the old table-based one (old_dg_operator.h) in the
//        same run: microseconds per cell and application, and their ratio.
//        pde_benchmark --imex: only the noisy 1D case params/gibbs_radius.prm
//        (d = 20, tau = 1, lambda = 0.5) to T = 10 with PDE/Noise time stepping
//        explicit and implicit: steps, seconds, final risks, |dR| and the ratio.
//        mpirun -np 2 pde_benchmark --imex2d [T]: only the noisy 2D (a, r) case
//        params/gibbs_amplitude_radius.prm to T (default 2) on all ranks:
//        explicit noise, implicit noise with the iterative solver (GMRES + ML
//        AMG) and with the direct one (Amesos KLU): steps, linear solves,
//        factorisations or AMG builds, GMRES iterations per solve, seconds
//        (setup, solves, whole stepping), R(T), mass + mass_out - 1, and the
//        time ratios against the direct solver.
#include <mfdd/io/parameter_file.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/dg_operator.h>
#include <mfdd/pde/gibbs.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/function.h>
#include <deal.II/base/mpi.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/numerics/vector_tools.h>

#include "old_dg_operator.h"

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
    double       mass = 1.;
    unsigned int noise_solves = 0, noise_setups = 0, gmres_iterations = 0;
    double       noise_setup_seconds = 0., noise_solve_seconds = 0.;
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
    Timing timing{solver.risk(), std::chrono::duration<double>(end - stepping).count(),
                  std::chrono::duration<double>(stepping - start).count(), solver.n_cells(), solver.n_steps()};
    const auto noise           = solver.noise_statistics();
    timing.mass                = solver.mass() + solver.mass_out();
    timing.noise_solves        = noise.solves;
    timing.noise_setups        = noise.setups;
    timing.gmres_iterations    = noise.iterations;
    timing.noise_setup_seconds = dealii::Utilities::MPI::max(noise.setup_seconds, communicator);
    timing.noise_solve_seconds = dealii::Utilities::MPI::max(noise.solve_seconds, communicator);
    return timing;
  }
  /// Microseconds per call of @p apply (repeated for at least half a second).
  template <typename Apply>
  double
  microseconds_per_call(const Apply &apply)
  {
    using Clock = std::chrono::steady_clock;
    unsigned int calls = 0;
    const auto   start = Clock::now();
    double       seconds = 0.;
    while (seconds < 0.5)
      {
        apply();
        ++calls;
        seconds = std::chrono::duration<double>(Clock::now() - start).count();
      }
    return 1e6 * seconds / calls;
  }

  /// The old and the matrix-free operator on an n^dim box [-1, 1] x [0, 2]^(dim-1)
  /// (FE_DGQ(degree)) for a smooth density and velocity; prints the cost per
  /// cell and application of each, their ratio and the largest difference of the rates.
  template <int dim>
  void
  compare_operators(const unsigned int degree, const unsigned int n, const double nu)
  {
    using namespace dealii;
    Triangulation<dim> triangulation;
    Point<dim>         lower, upper;
    lower[0] = -1.;
    upper[0] = 1.;
    for (unsigned int d = 1; d < dim; ++d)
      upper[d] = 2.;
    GridGenerator::subdivided_hyper_rectangle(triangulation, std::vector<unsigned int>(dim, n), lower, upper);
    const FE_DGQ<dim> fe(degree);
    DoFHandler<dim>   dof_handler(triangulation);
    dof_handler.distribute_dofs(fe);
    // With noise the side r = 0 (the last coordinate) is closed, as in the solver.
    const auto closed = [nu](const Point<dim> &z, const Tensor<1, dim> &normal, double h) {
      return nu > 0. && normal[dim - 1] < -0.5 && std::abs(z[dim - 1]) <= 1e-12 * h;
    };
    benchmark::OldDgOperator<dim> old_operator(dof_handler, closed, nu > 0.);
    pde::DgOperator<dim>          new_operator;
    new_operator.reinit(dof_handler, closed, {}, nu > 0.);

    typename pde::DgOperator<dim>::VectorType u(dof_handler.locally_owned_dofs(), MPI_COMM_SELF), old_rate(u), new_rate(u);
    const ScalarFunctionFromFunctionObject<dim> density([](const Point<dim> &z) {
      return std::exp(-4. * (z - Point<dim>::unit_vector(dim - 1)).norm_square()) + 0.1 * std::sin(5. * z[0]);
    });
    VectorTools::interpolate(dof_handler, density, u);
    const auto velocity_at = [](const std::vector<Point<dim>> &points) {
      std::vector<Tensor<1, dim>> velocity(points.size());
      for (unsigned int p = 0; p < points.size(); ++p)
        for (unsigned int d = 0; d < dim; ++d)
          velocity[p][d] = std::sin(3. * points[p][(d + 1) % dim]) - 0.3 * d;
      return velocity;
    };
    const auto old_velocity = velocity_at(old_operator.evaluation_points);
    const auto new_velocity = velocity_at(new_operator.evaluation_points());
    old_operator.set_rho_at_q(u); // the solver had it from the density weights
    const double old_us = microseconds_per_call([&] { old_operator.apply(u, old_velocity, nu, old_rate); });
    const double new_us = microseconds_per_call([&] { new_operator.apply(u, new_velocity, nu, new_rate); });
    double difference = 0., size = 0.;
    for (unsigned int i = 0; i < u.locally_owned_size(); ++i)
      {
        difference = std::max(difference, std::abs(old_rate.begin()[i] - new_rate.begin()[i]));
        size       = std::max(size, std::abs(old_rate.begin()[i]));
      }
    const unsigned int cells = triangulation.n_active_cells();
    std::cout << std::setw(3) << dim << std::setw(7) << degree << std::setw(7) << cells << std::setw(6) << nu
              << std::setprecision(3) << std::setw(14) << old_us / cells << std::setw(14) << new_us / cells
              << std::setw(8) << old_us / new_us << std::setw(18) << difference / size << std::endl;
  }
} // namespace

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  if (argc > 1 && std::string(argv[1]) == "--operator")
    {
      std::cout << "DG operator: old tables against MatrixFree, one rank\n"
                << "dim degree  cells    nu  old[us/cell]  new[us/cell]  ratio  max|old - new|/max|old|\n";
      for (const double nu : {0., 0.05})
        {
          for (const unsigned int degree : {1u, 2u, 3u})
            compare_operators<2>(degree, 48, nu);
          compare_operators<1>(2, 200, nu);
        }
      return 0;
    }
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
  if (argc > 1 && std::string(argv[1]) == "--imex2d")
    {
      const bool        root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
      const std::string end  = argc > 2 ? argv[2] : "2";
      const Example     example =
        read_example("gibbs_amplitude_radius.prm", {"Problem/Final time=" + end, "PDE/Risk error estimate=false"});
      const kernels::PopulationKernels kernels(example.problem);
      if (root)
        std::cout << "noisy 2D (a, r) gibbs_amplitude_radius.prm to T = " << end << " on "
                  << dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) << " ranks, "
                  << example.parameters.subdivisions[0] << " x " << example.parameters.subdivisions[1]
                  << " cells, degree " << example.parameters.degree
                  << "\nnoise     solver      steps  solves  setups  its/solve  setup[s]  solves[s]  stepping[s]"
                     "              R(T)  mass error\n";
      std::vector<Timing> timings;
      for (const auto &[mode, solver] : std::vector<std::pair<std::string, std::string>>{
             {"explicit", "-"}, {"implicit", "iterative"}, {"implicit", "direct"}})
        {
          auto parameters                = example.parameters;
          parameters.noise_time_stepping = mode;
          if (solver != "-")
            parameters.noise_solver = solver;
          timings.push_back(time_run<2>(example, parameters, kernels, MPI_COMM_WORLD));
          const Timing &t = timings.back();
          if (root)
            std::cout << std::left << std::setw(10) << mode << std::setw(10) << solver << std::right << std::setw(7)
                      << t.steps << std::setw(8) << t.noise_solves << std::setw(8) << t.noise_setups
                      << std::setprecision(3) << std::setw(11)
                      << (t.noise_solves ? double(t.gmres_iterations) / t.noise_solves : 0.) << std::setw(10)
                      << t.noise_setup_seconds << std::setw(11) << t.noise_solve_seconds << std::setw(13) << t.seconds
                      << std::setprecision(14) << std::setw(18) << t.risk << std::setprecision(2) << std::setw(12)
                      << t.mass - 1. << '\n';
        }
      if (root)
        std::cout << "time explicit / direct = " << std::setprecision(3) << timings[0].seconds / timings[2].seconds
                  << ", iterative / direct = " << timings[1].seconds / timings[2].seconds
                  << "; |R_iterative - R_direct| = " << std::abs(timings[1].risk - timings[2].risk)
                  << ", |R_explicit - R_direct| = " << std::abs(timings[0].risk - timings[2].risk) << std::endl;
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
