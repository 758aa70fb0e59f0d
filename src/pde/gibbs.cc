// `mfdd gibbs`: the stationary noisy dynamics as the fixed point of the Gibbs
// map (doc/theory.md §8), by damped Picard iteration with Anderson acceleration.
#include <mfdd/io/input_error.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/gibbs.h>
#include <mfdd/pde/risk_error_estimate.h>
#include <mfdd/pde/solver.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <cmath>
#include <deque>
#include <iomanip>
#include <iostream>
#include <limits>

namespace mfdd::pde
{
  using namespace dealii;

  void
  GibbsParameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Gibbs");
    prm.declare_entry("Method", "discrete", Patterns::Selection("discrete|projected"),
                      "Which stationary state is solved for. 'discrete': that of `mfdd pde`'s own discretisation "
                      "on the same mesh and parameters (the Gibbs map sends rho to the stationary state of the "
                      "DG operator with psi frozen at psi[rho]), which its noisy runs reach in the long run, to "
                      "round-off where the limiter is inactive. 'projected': the Gibbs density "
                      "s(z) exp(-(2D/tau) psi(z; rho)) projected on the mesh, which converges to the exact "
                      "Gibbs state at the mesh's order but differs from the long-time PDE by its discretisation "
                      "error.");
    prm.declare_entry("Tolerance", "1e-12", Patterns::Double(0.),
                      "Stop when max |G(rho) - rho| / max |rho| over the DG coefficients is below this (> 0).");
    prm.declare_entry("Maximum iterations", "500", Patterns::Integer(1),
                      "At most this many applications of the Gibbs map G; not converged by then: a warning, "
                      "exit status 0, and the last iterate is written.");
    prm.declare_entry("Anderson depth", "5", Patterns::Integer(0, 50),
                      "Earlier iterates the Anderson acceleration combines (0: damped Picard iteration).");
    prm.declare_entry("Damping", "0.5", Patterns::Double(0., 1.),
                      "Initial share beta in (0, 1] of the Gibbs map in each step: rho <- (1 - beta) rho + "
                      "beta G(rho) before the Anderson correction. An iteration whose residual grows halves "
                      "beta (the map overshoots when 2D/tau is large) and restarts the acceleration.");
    prm.leave_subsection();
  }

  void
  GibbsParameters::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Gibbs");
    method         = prm.get("Method");
    tolerance      = prm.get_double("Tolerance");
    max_iterations = prm.get_integer("Maximum iterations");
    anderson_depth = prm.get_integer("Anderson depth");
    damping        = prm.get_double("Damping");
    prm.leave_subsection();
    io::require(tolerance > 0., "Gibbs/Tolerance", "must be positive");
    io::require(damping > 0., "Gibbs/Damping", "must be in (0, 1]");
  }

  namespace
  {
    /// s(z) exp(-(2D/tau) (psi(z) - psi_min)), s the surface factor of the radii.
    template <int dim>
    class GibbsDensity : public Function<dim>
    {
    public:
      GibbsDensity(const model::Problem &problem, const Potential<dim> &potential, double psi_min)
        : problem(problem)
        , potential(potential)
        , beta(2. * problem.neuron_dimension() / problem.temperature)
        , psi_min(psi_min)
      {}

      double
      value(const Point<dim> &z, const unsigned int = 0) const override
      {
        const auto &setting  = problem.reduced_setting();
        double      exponent = -beta * (potential.value(z) - psi_min);
        for (unsigned int b = 0; b < setting.n_blocks(); ++b)
          {
            const double r = z[setting.first_radius() + b];
            exponent += (problem.data.blocks()[b].size - 1.) * std::log(std::max(r, 0.));
          }
        return std::exp(exponent);
      }

    private:
      const model::Problem &problem;
      const Potential<dim> &potential;
      const double          beta, psi_min;
    };

    /// The smallest psi over the cell centres and vertices of the mesh (all ranks).
    template <int dim>
    double
    smallest_psi(const Solver<dim> &solver, const Potential<dim> &potential, MPI_Comm communicator)
    {
      double smallest = std::numeric_limits<double>::max();
      for (const auto &cell : solver.get_triangulation().active_cell_iterators())
        if (cell->is_locally_owned())
          {
            smallest = std::min(smallest, potential.value(cell->center()));
            for (const unsigned int v : cell->vertex_indices())
              smallest = std::min(smallest, potential.value(cell->vertex(v)));
          }
      return Utilities::MPI::min(smallest, communicator);
    }

    template <int dim>
    GibbsResult
    solve_in_dimension(const model::Problem &problem, const SolverParameters &parameters,
                       const GibbsParameters &gibbs, const io::OutputParameters &output, bool write_files,
                       const std::function<void()> &before_output, MPI_Comm communicator)
    {
      using VectorType = typename Solver<dim>::VectorType;
      const kernels::PopulationKernels kernels(problem);
      auto potential = std::make_shared<NonlocalPotential<dim>>(kernels, parameters.potential_nodes, communicator);
      // The noise stepped as `mfdd pde` steps it, so that the discrete Gibbs
      // state is that of the same scheme.
      SolverParameters resolved    = parameters;
      resolved.noise_time_stepping = noise_time_stepping_of_solve<dim>(problem, parameters, potential, communicator);
      Solver<dim> solver(problem, resolved, potential, communicator);
      solver.make_mesh();
      solver.set_initial_density();
      if (before_output)
        before_output();
      const bool root = Utilities::MPI::this_mpi_process(communicator) == 0;

      // x -> G(x), limited and normalised: discrete, the stationary state of
      // the DG operator of x's potential, by a backward Euler step far longer
      // than the weight decay's relaxation time 1/(2 xi lambda). A fixed point
      // does not depend on the step unless the limiter acts on it; 1e8/(xi
      // lambda) left a round-off floor of 1.5e-11 in the residual on a 16^2
      // (a, r) mesh, 1e6/(xi lambda) converges there. projected: the Gibbs
      // density of x's potential.
      const double long_step = 1e6 / (problem.xi(problem.final_time) * problem.weight_decay);
      const auto gibbs_map = [&](const VectorType &x, VectorType &g) {
        solver.set_density(x);
        if (gibbs.method == "discrete")
          solver.linearised_implicit_step(long_step, problem.final_time);
        else
          {
            solver.risk();
            solver.set_density(GibbsDensity<dim>(problem, *potential, smallest_psi(solver, *potential, communicator)));
          }
        g = solver.density();
      };
      const auto max_norm = [&](const VectorType &v) { return v.linfty_norm(); };

      GibbsResult         result;
      double              damping = gibbs.damping, last_residual = std::numeric_limits<double>::max();
      VectorType          x = solver.density(), g = x, f = x, x_previous, f_previous;
      std::deque<VectorType> dx, df; // x_{k+1} - x_k and f_{k+1} - f_k of the last iterations
      for (result.iterations = 1; result.iterations <= gibbs.max_iterations; ++result.iterations)
        {
          gibbs_map(x, g);
          f = g;
          f -= x;
          result.residual = max_norm(f) / max_norm(x);
          if (root && (result.iterations % 10 == 1 || result.residual < gibbs.tolerance))
            std::cout << "gibbs: iteration " << result.iterations << ", residual " << std::setprecision(3)
                      << result.residual << std::endl;
          if (!std::isfinite(result.residual))
            throw io::RunError("gibbs: the iteration diverged (residual not finite at iteration " +
                               std::to_string(result.iterations) + "); lower Gibbs/Damping");
          if (result.residual < gibbs.tolerance)
            {
              result.converged = true;
              x                = g;
              break;
            }
          // A growing residual (the map overshoots: large 2D/tau) halves the
          // damping and restarts the acceleration.
          if (result.residual > last_residual && damping > 1e-3 * gibbs.damping)
            {
              damping /= 2.;
              dx.clear();
              df.clear();
            }
          else if (result.iterations > 1)
            {
              dx.push_back(x);
              dx.back() -= x_previous;
              df.push_back(f);
              df.back() -= f_previous;
              if (dx.size() > gibbs.anderson_depth)
                {
                  dx.pop_front();
                  df.pop_front();
                }
            }
          x_previous    = x;
          f_previous    = f;
          last_residual = result.residual;
          // Anderson: gamma = argmin |f - dF gamma| (normal equations, with a
          // small diagonal shift against near-dependent columns), then
          // x <- x + beta f - (dX + beta dF) gamma.
          const unsigned int m = dx.size();
          Vector<double>     gamma(m);
          if (m > 0)
            {
              FullMatrix<double> normal(m, m);
              Vector<double>     rhs(m);
              for (unsigned int i = 0; i < m; ++i)
                {
                  rhs(i) = df[i] * f;
                  for (unsigned int j = 0; j < m; ++j)
                    normal(i, j) = df[i] * df[j];
                }
              double trace = 0.;
              for (unsigned int i = 0; i < m; ++i)
                trace += normal(i, i);
              for (unsigned int i = 0; i < m; ++i)
                normal(i, i) += 1e-12 * trace / m;
              normal.gauss_jordan();
              normal.vmult(gamma, rhs);
            }
          x.add(damping, f); // the damped Picard step: a convex combination of densities
          VectorType accelerated = x;
          for (unsigned int i = 0; i < m; ++i)
            {
              accelerated.add(-gamma(i), dx[i]);
              accelerated.add(-damping * gamma(i), df[i]);
            }
          // The next iterate, limited and normalised; the Picard step if the
          // accelerated one has a negative cell mean (set_density throws).
          try
            {
              solver.set_density(accelerated);
            }
          catch (const io::RunError &)
            {
              solver.set_density(x);
            }
          x = solver.density();
        }
      result.iterations = std::min(result.iterations, gibbs.max_iterations);
      solver.set_density(x);
      result.risk        = solver.risk();
      result.free_energy = solver.free_energy(result.risk);
      result.mean        = solver.mean();
      result.state       = solver.snapshot();
      result.state.t     = problem.final_time;
      if (!result.converged && root)
        std::cerr << "mfdd: warning: Gibbs/Maximum iterations = " << gibbs.max_iterations
                  << " reached with residual " << result.residual << " above Gibbs/Tolerance = " << gibbs.tolerance
                  << "; the last iterate is written" << std::endl;
      if (write_files)
        {
          solver.write_state(output, "gibbs");
          if (root)
            {
              const auto              &setting = problem.reduced_setting();
              std::vector<std::string> columns = {"iterations", "residual", "converged", "risk", "free_energy"};
              for (const auto &name : setting.coordinate_names())
                columns.push_back("mean_" + name);
              io::CsvWriter       summary(output.path("gibbs_summary.csv"), columns);
              std::vector<double> row = {double(result.iterations), result.residual, result.converged ? 1. : 0.,
                                         result.risk, result.free_energy};
              row.insert(row.end(), result.mean.begin(), result.mean.end());
              summary.add_row(row);
            }
        }
      return result;
    }
  } // namespace

  GibbsResult
  solve_gibbs(const model::Problem &problem, const SolverParameters &parameters, const GibbsParameters &gibbs,
              const io::OutputParameters &output, bool write_files, const std::function<void()> &before_output,
              MPI_Comm communicator)
  {
    io::require(problem.temperature > 0., "Problem/Temperature tau",
                "must be > 0 for a Gibbs state (without noise the dynamics has no Gibbs fixed point)");
    io::require(problem.weight_decay > 0., "Problem/Weight decay lambda",
                "must be > 0 for a Gibbs state: without it nothing confines the density and the noisy dynamics "
                "has no stationary state");
    io::require(problem.alpha == 1., "Problem/Scaling alpha", "noise needs alpha = 1");
    switch (problem.reduced_setting().dimension())
      {
        case 1:
          return solve_in_dimension<1>(problem, parameters, gibbs, output, write_files, before_output, communicator);
        case 2:
          return solve_in_dimension<2>(problem, parameters, gibbs, output, write_files, before_output, communicator);
        default:
          return solve_in_dimension<3>(problem, parameters, gibbs, output, write_files, before_output, communicator);
      }
  }
} // namespace mfdd::pde
