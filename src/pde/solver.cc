// The solver's life cycle and time integration: construction, the SSP-RK3
// steps with the positivity limiter after every stage (advance), the CFL time
// step, and run(), which steps from output time to output time and writes the
// outputs, and the rate du/dt = L(u) (the potential, then the DG operator).
// The pieces it calls live in mesh.cc, cell_tables.cc, dg_operator.cc,
// limiter.cc, adaptivity.cc, initial_density.cc and diagnostics.cc.
#include <mfdd/io/input_error.h>
#include <mfdd/pde/dg_operator.h>
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"

#include <deal.II/base/array_view.h>
#include <deal.II/lac/trilinos_vector.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <tuple>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    /// The mesh: p4est's on @p communicator in 2D and 3D, serial in 1D.
    template <int dim>
    std::unique_ptr<Mesh<dim>>
    create_mesh(const MPI_Comm communicator)
    {
      if constexpr (dim == 1)
        return std::make_unique<Mesh<dim>>();
      else
        return std::make_unique<Mesh<dim>>(communicator);
    }
  } // namespace

  template <int dim>
  Solver<dim>::Solver(const model::Problem &problem, const SolverParameters &parameters,
                      std::shared_ptr<Potential<dim>> potential, MPI_Comm communicator)
    : problem(problem)
    , parameters(parameters.with_default_mesh(dim))
    , potential(std::move(potential))
    , mesh_communicator(dim == 1 ? MPI_COMM_SELF : communicator)
    , n_ranks(Utilities::MPI::n_mpi_processes(mesh_communicator))
    , rank(Utilities::MPI::this_mpi_process(mesh_communicator))
    , writes_files(Utilities::MPI::this_mpi_process(communicator) == 0)
    , triangulation(create_mesh<dim>(mesh_communicator))
    , fe(parameters.degree)
    , dof_handler(*triangulation)
    , timer_stream(std::cout, writes_files && parameters.print_timing)
    , timer(timer_stream, TimerOutput::never, TimerOutput::wall_times)
  {
    if (this->parameters.sample_cells.empty())
      this->parameters.sample_cells.assign(dim, dim == 1 ? 10000 : dim == 2 ? 400 : 64);
  }

  // Defined here, where DgOperator is complete.
  template <int dim>
  Solver<dim>::~Solver()
  {}

  template <int dim>
  void
  Solver<dim>::check_finite(const char *where) const
  {
    bool finite = true;
    for (const double x : solution)
      finite = finite && std::isfinite(x);
    if (Utilities::MPI::min(static_cast<unsigned int>(finite), mesh_communicator) == 0)
      throw io::RunError(std::string("PDE: the density is not finite ") + where + " at t = " +
                         std::to_string(current_time) + " (blow-up; reduce PDE/CFL number or PDE/Time step)");
  }

  template <int dim>
  Outflow
  Solver<dim>::compute_rate(const VectorType &u, const double t, VectorType &rate, const bool with_noise)
  {
    {
      TimerOutput::Scope scope(timer, "potential");
      gather_cells(owned_density_weights(u, &rho_at_q), n_q_points, density_weights);
      potential->update(density_weights);
      potential->evaluate(psi_at_points, grad_psi_at_points);
    }
    TimerOutput::Scope scope(timer, "operator");
    const double factor = -2. * problem.xi(t) / problem.alpha;
    const double nu     = with_noise ? noise_coefficient(t) : 0.;
    for (unsigned int p = 0; p < velocity_at_points.size(); ++p)
      velocity_at_points[p] = velocity(p, factor, nu);
    const Outflow here = dg_operator->apply(u, velocity_at_points, nu, rate);
    Outflow everywhere;
    Utilities::MPI::sum(ArrayView<const double>(here.slot), mesh_communicator, ArrayView<double>(everywhere.slot));
    return everywhere;
  }

  template <int dim>
  double
  Solver<dim>::cfl_time_step(const double t, const bool with_noise) const
  {
    // h_K / |b|_1 over the quadrature points of every cell and face (each
    // point with the smaller size of the cells it touches; each rank its
    // points, the minimum is exact), and with noise h_K^2 / (2 dim nu (degree + 1)^2).
    const double  nu        = with_noise ? noise_coefficient(t) : 0.;
    const double  p1        = parameters.degree + 1.;
    double        min_ratio = std::numeric_limits<double>::max();
    const auto   &h         = dg_operator->cell_size_at_points();
    for (unsigned int p = 0; p < h.size(); ++p)
      {
        double speed = 0.;
        for (unsigned int d = 0; d < dim; ++d)
          speed += std::abs(velocity_at_points[p][d]);
        if (speed > 0.)
          min_ratio = std::min(min_ratio, h[p] / speed);
      }
    if (nu > 0.)
      for (unsigned int c = 0; c < n_owned_cells; ++c)
        min_ratio = std::min(min_ratio, cell_size[c] * cell_size[c] / (2. * dim * nu * p1 * p1));
    return parameters.cfl * Utilities::MPI::min(min_ratio, mesh_communicator);
  }

  template <int dim>
  bool
  Solver<dim>::closed_boundary(const Point<dim> &z, const Tensor<1, dim> &normal, const double h) const
  {
    if (reflecting_box_sides())
      return true;
    return problem.temperature > 0. && on_axis(z, normal, h);
  }

  template <int dim>
  bool
  Solver<dim>::on_axis(const Point<dim> &z, const Tensor<1, dim> &normal, const double h) const
  {
    const auto &setting = problem.reduced_setting();
    for (unsigned int b = 0; b < setting.n_blocks(); ++b)
      {
        const unsigned int k = setting.first_radius() + b;
        if (normal[k] < -0.5 && std::abs(z[k]) <= 1e-12 * h)
          return true;
      }
    return false;
  }

  template <int dim>
  bool
  Solver<dim>::reflecting_box_sides() const
  {
    if (parameters.box_sides == "automatic")
      return problem.temperature > 0. && problem.weight_decay > 0.;
    return parameters.box_sides == "reflecting";
  }

  template <int dim>
  bool
  Solver<dim>::implicit_noise()
  {
    if (!(problem.temperature > 0.) || parameters.noise_time_stepping == "explicit")
      return false;
    if (parameters.noise_time_stepping == "implicit")
      return true;
    // automatic: implicit when explicit noise would cut the CFL step of the
    // transport by more than half (each implicit step costs two solves), decided
    // once, from the density at the first call.
    if (automatic_implicit_noise < 0)
      {
        VectorType rate(solution);
        compute_rate(solution, current_time, rate, true);
        const double with_noise = cfl_time_step(current_time, true);
        compute_rate(solution, current_time, rate, false);
        const double transport   = cfl_time_step(current_time, false);
        automatic_implicit_noise = with_noise < 0.5 * transport ? 1 : 0;
      }
    return automatic_implicit_noise == 1;
  }

  template <int dim>
  double
  Solver<dim>::noise_coefficient(const double t) const
  {
    return problem.xi(t) * problem.temperature / problem.neuron_dimension();
  }

  template <int dim>
  NoiseOperator<dim> &
  Solver<dim>::noise()
  {
    if (!noise_operator)
      {
        TimerOutput::Scope scope(timer, "noise assembly");
        noise_operator = std::make_unique<NoiseOperator<dim>>(
          [this](const Point<dim> &z) { return radial_drift(z); },
          [this](const Point<dim> &z, const Tensor<1, dim> &normal, double h) { return closed_boundary(z, normal, h); },
          parameters.noise_solver == "iterative");
        noise_operator->reinit(dof_handler, locally_owned_dofs, mesh_communicator);
      }
    return *noise_operator;
  }

  template <int dim>
  void
  Solver<dim>::advance(double t_end)
  {
    VectorType   k0;
    const double tolerance  = 1e-12 * std::max(1., std::abs(t_end));
    const auto  &adaptivity = parameters.adaptivity;
    while (current_time < t_end - tolerance)
      {
        if (adaptivity.enabled() && step_count > last_adaptation_step && step_count % adaptivity.interval == 0)
          {
            TimerOutput::Scope scope(timer, "adaptivity");
            adapt_mesh();
            last_adaptation_step = step_count;
          }
        // After a remeshing (k0 shares solution's map: a cheap test).
        if (!k0.trilinos_partitioner().SameAs(solution.trilinos_partitioner()))
          k0.reinit(solution);
        // With implicit noise the explicit rate and the CFL step leave it out.
        const bool   implicit = implicit_noise();
        const double t        = current_time;
        const Outflow f0      = compute_rate(solution, t, k0, !implicit);
        double       dt       = parameters.time_step;
        // Where a step counts as landing on t_end: with implicit noise within
        // round-off of the sum of equal steps, so that the last step of an
        // interval keeps the interval's dt (and the factorisation).
        double landing = tolerance;
        if (dt == 0. && implicit)
          {
            // The matrix M - dt gamma nu K, hence its factorisation, changes
            // with dt: dt stays constant up to t_end (the next output) while
            // the CFL step allows it and is less than 2^(1/4) times dt. A new
            // dt is the CFL step rounded down to a power of 2^(1/16), shortened
            // so that equal steps land on t_end.
            const double limit = cfl_time_step(t, false);
            if (!(imex_dt > 0. && imex_dt <= limit && limit < std::exp2(0.25) * imex_dt && imex_t_end == t_end))
              {
                const double remaining = t_end - t;
                const double step =
                  std::isfinite(limit) ? std::exp2(std::floor(16. * std::log2(limit)) / 16.) : remaining;
                const double equal     = remaining / std::max(1., std::ceil(remaining / step - 1e-9));
                // The same dt as the last interval's but for round-off in t_end - t: keep its bits.
                if (!(std::abs(equal - imex_dt) <= 1e-12 * equal))
                  imex_dt = equal;
                imex_t_end = t_end;
              }
            dt      = imex_dt;
            landing = std::max(tolerance, 1e-6 * dt);
          }
        else if (dt == 0.)
          {
            dt = cfl_time_step(t, !implicit);
            if (!std::isfinite(dt))
              dt = t_end - t;
          }
        if (t + dt > t_end - landing && !(implicit && std::abs(t + dt - t_end) <= landing))
          dt = t_end - t;

        if (implicit)
          {
            outflow += imex_integrator.step(
              solution, t, dt, k0, f0, noise(),
              [this](const VectorType &u, double time, VectorType &k) { return compute_rate(u, time, k, false); },
              [this](double time) { return noise_coefficient(time); },
              [this](VectorType &u) {
                TimerOutput::Scope scope(timer, "limiter");
                apply_noise_limiter(u);
              });
          }
        else
          outflow += integrator.step(
            solution, t, dt, k0, f0,
            [this](const VectorType &u, double time, VectorType &k) { return compute_rate(u, time, k); },
            [this](VectorType &u) {
              TimerOutput::Scope scope(timer, "limiter");
              if (problem.temperature > 0.)
                apply_noise_limiter(u);
              else
                apply_limiter(u);
            });

        current_time = (t + dt > t_end - landing) ? t_end : t + dt;
        last_dt      = dt;
        ++step_count;
        check_finite("after a time step");
      }
  }

  template <int dim>
  model::ReducedLawTrajectory
  Solver<dim>::run(const io::OutputParameters &output, bool write_files, RiskErrorEstimator risk_error,
                   const std::function<bool(const Outflow &)> &stop)
  {
    const auto  &setting = problem.reduced_setting();
    const double T       = problem.final_time;
    std::vector<double> output_times;
    for (unsigned int k = 0; k * output.interval < T - 1e-12 * T; ++k)
      output_times.push_back(k * output.interval);
    output_times.push_back(T);

    const bool     writer = write_files && writes_files;
    io::CsvWriter  diagnostics;
    if (writer)
      {
        std::vector<std::string> columns = {"t",       "mass",    "mass_out", "risk", "risk_error_estimate",
                                            "min_rho", "n_cells", "dt"};
        for (const auto &name : setting.coordinate_names())
          columns.push_back("mean_" + name);
        columns.push_back("free_energy");
        diagnostics.open(output.path("pde_diagnostics.csv"), columns);
      }
    std::vector<std::pair<double, std::string>> pvd_records;
    io::ProgressReporter                        progress("pde", T, write_files);
    model::ReducedLawTrajectory                 trajectory;
    bool                                        stopped = false;
    for (unsigned int k = 0; k < output_times.size(); ++k)
      {
        advance(output_times[k]);
        TimerOutput::Scope scope(timer, "output");
        trajectory.push_back(snapshot());
        auto &now               = trajectory.back();
        now.risk_error_estimate = risk_error.estimate(k, now.risk);
        const double total = mass();
        std::vector<double> row = {current_time, total, outflow.total(), now.risk, now.risk_error_estimate, min_rho(),
                                   double(n_cells()), last_dt};
        for (const double m : mean())
          row.push_back(m);
        row.push_back(free_energy(trajectory.back().risk));
        if (writer)
          diagnostics.add_row(row);
        if (write_files && output.write_vtu)
          write_vtu(output, "pde", k, pvd_records);
        progress.update(current_time, "risk " + std::to_string(trajectory.back().risk));
        if (!(total > 0.) || !std::isfinite(total))
          throw io::RunError("PDE: mass " + std::to_string(total) + " at t = " + std::to_string(current_time) +
                             " is not positive (blow-up)");
        if (stop && stop(outflow))
          {
            stopped = true;
            break;
          }
      }
    if (writer)
      write_grid_csv(output.path("pde_final.csv"), trajectory.back().grid);
    const std::array<std::tuple<double, const char *, const char *>, 2> losses = {
      {{outflow.box_sides(), "through its sides",
        "the density and the risk describe the neurons inside it only (enlarge PDE/Box lower and PDE/Box upper)"},
       {outflow.axis(), "through r = 0",
        "neurons that reach w = 0, or the error of a mesh too coarse there (refine it if the fraction falls with "
        "the cell size)"}}};
    // A run stopped by @p stop is repeated by the caller, who says why.
    for (const auto &[fraction, where, meaning] : losses)
      if (write_files && writes_files && fraction > 1e-6 && !stopped)
        std::cerr << "warning: a fraction " << fraction << " of the mass left the box " << where
                  << " by t = " << current_time << ": " << meaning << std::endl;
    timer.print_summary();
    return trajectory;
  }


#define MFDD_INSTANTIATE(dim) \
  template Solver<dim>::Solver(const model::Problem &problem, const SolverParameters &parameters, std::shared_ptr<Potential<dim>> potential, MPI_Comm communicator); \
  template Solver<dim>::~Solver(); \
  template Outflow Solver<dim>::compute_rate(const VectorType &u, const double t, VectorType &rate, const bool with_noise); \
  template bool Solver<dim>::closed_boundary(const Point<dim> &z, const Tensor<1, dim> &normal, const double h) const; \
  template bool Solver<dim>::on_axis(const Point<dim> &z, const Tensor<1, dim> &normal, const double h) const; \
  template void Solver<dim>::check_finite(const char *where) const; \
  template double Solver<dim>::cfl_time_step(const double t, const bool with_noise) const; \
  template bool Solver<dim>::implicit_noise(); \
  template double Solver<dim>::noise_coefficient(const double t) const; \
  template bool Solver<dim>::reflecting_box_sides() const; \
  template NoiseOperator<dim> &Solver<dim>::noise(); \
  template void Solver<dim>::advance(double t_end); \
  template model::ReducedLawTrajectory Solver<dim>::run(const io::OutputParameters &output, bool write_files, RiskErrorEstimator risk_error, const std::function<bool(const Outflow &)> &stop);
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
