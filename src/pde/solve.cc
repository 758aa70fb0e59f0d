#include <mfdd/io/input_error.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/risk_error_estimate.h>
#include <mfdd/pde/solver.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>

namespace mfdd::pde
{
  namespace
  {
    std::vector<double>
    risks_of(const model::ReducedLawTrajectory &trajectory)
    {
      std::vector<double> risks;
      for (const auto &snapshot : trajectory)
        risks.push_back(snapshot.risk);
      return risks;
    }

    /// PDE/Noise time stepping = automatic resolved to what @p solver chose,
    /// so that every solve of one estimate steps the noise the same way.
    template <int dim>
    void
    resolve_noise_time_stepping(Solver<dim> &solver, SolverParameters &parameters)
    {
      if (parameters.noise_time_stepping == "automatic")
        parameters.noise_time_stepping = solver.implicit_noise() ? "implicit" : "explicit";
    }

    /// The risks at the output times of a solve with @p parameters (no files,
    /// no estimate of its own), sharing @p potential: the kernel table depends
    /// only on the box, which coarsening keeps. PDE/Noise time stepping =
    /// automatic in @p solved is resolved to what this solve chose at t = 0, so
    /// that the solve it estimates steps the noise the same way.
    template <int dim>
    std::vector<double>
    companion_risks(const model::Problem &problem, SolverParameters parameters,
                    const std::shared_ptr<NonlocalPotential<dim>> &potential, const io::OutputParameters &output,
                    MPI_Comm communicator, SolverParameters &solved)
    {
      parameters.risk_error_estimate = false;
      parameters.print_timing        = false;
      Solver<dim> solver(problem, parameters, potential, communicator);
      solver.make_mesh();
      solver.set_initial_density();
      if (problem.temperature > 0.)
        resolve_noise_time_stepping(solver, solved);
      return risks_of(solver.run(output, false));
    }

    /// What refined_once() raises, with its value, for messages.
    std::string
    mesh_resolution(const SolverParameters &parameters, const unsigned int dim)
    {
      const auto p = parameters.with_default_mesh(dim);
      return p.adaptivity.enabled() ?
               "PDE/Adaptive mesh/Maximum level = " + std::to_string(p.adaptivity.maximum_level) :
               "PDE/Global refinements = " + std::to_string(p.global_refinements);
    }

    /// The orders of the estimate of a solve with @p parameters (noise time
    /// stepping resolved): its initial law jumps with a uniform law of a, and
    /// may with an expression, which the estimate does not inspect.
    RiskErrorOrders
    risk_error_orders_of(const model::Problem &problem, const SolverParameters &parameters)
    {
      const bool jumps = parameters.initial_density != "built in" ||
                         (problem.trainable_second_layer &&
                          problem.initial_law.a_law == model::InitialLaw::AmplitudeLaw::uniform);
      const bool implicit = problem.temperature > 0. && parameters.noise_time_stepping == "implicit";
      return risk_error_orders(parameters.degree, jumps, implicit);
    }

    /// The companion of @p coarse with the time step of the solve it
    /// estimates: half the CFL number (or the same fixed time step), and
    /// remeshing after twice the steps so that it remeshes when the companion
    /// with the same CFL number does.
    SolverParameters
    with_solve_time_step(SolverParameters coarse, const SolverParameters &solved)
    {
      coarse.cfl /= 2.;
      coarse.time_step = solved.time_step;
      coarse.adaptivity.interval *= 2;
      return coarse;
    }

    /// The space-time estimator of a solve with @p solved, whose companion
    /// with the same CFL number on @p coarse had the risks @p double_step:
    /// solves the companion with the solve's time step on the same mesh.
    template <int dim>
    RiskErrorEstimator
    space_time_estimator(const model::Problem &problem, const CoarserMesh &coarse, std::vector<double> double_step,
                         SolverParameters &solved, const std::shared_ptr<NonlocalPotential<dim>> &potential,
                         const io::OutputParameters &output, MPI_Comm communicator)
    {
      auto same_step = companion_risks(problem, with_solve_time_step(coarse.parameters, solved), potential, output,
                                       communicator, solved);
      return RiskErrorEstimator(coarse, std::move(same_step), std::move(double_step),
                                risk_error_orders_of(problem, solved));
    }

    /// The estimator of PDE/Risk error estimate: two solves on the mesh
    /// coarsened once, with the same CFL number (R_2h,2dt) and with the
    /// solve's time step (R_2h,dt) (in 2D together 3/8 of the solve's cost,
    /// in 1D 3/4), or why there is none; decides PDE/Noise time stepping =
    /// automatic in @p parameters as noise_time_stepping_of_solve() does.
    template <int dim>
    RiskErrorEstimator
    risk_error_estimator(const model::Problem &problem, SolverParameters &parameters,
                         const std::shared_ptr<NonlocalPotential<dim>> &potential, const io::OutputParameters &output,
                         MPI_Comm communicator)
    {
      if (!parameters.risk_error_estimate)
        return RiskErrorEstimator();
      std::string reason;
      auto        coarse = coarsened(parameters, dim, reason);
      if (!coarse)
        return RiskErrorEstimator(reason);
      if (parameters.time_step > 0.)
        coarse->parameters.time_step = 2. * parameters.time_step;
      auto double_step = companion_risks(problem, coarse->parameters, potential, output, communicator, parameters);
      coarse->parameters.noise_time_stepping = parameters.noise_time_stepping;
      return space_time_estimator<dim>(problem, *coarse, std::move(double_step), parameters, potential, output,
                                       communicator);
    }

    /// The solve, refined until the risk error estimate meets the tolerance
    /// (as far as Refinements for tolerance allows); a solve stops at the
    /// first output time where @p box_grows says of its outflow so far that
    /// it will be solved again on a larger box, and is returned unrefined;
    /// @p mass_out: the mass that left the box in the solve returned, by side.
    template <int dim>
    model::ReducedLawTrajectory
    solve_to_tolerance(const model::Problem &problem, const SolverParameters &parameters,
                       const io::OutputParameters &output, bool write_files,
                       const std::function<void()> &before_output, MPI_Comm communicator,
                       const std::function<bool(const Outflow &)> &box_grows, Outflow &mass_out)
    {
      const kernels::PopulationKernels kernels(problem);
      auto        potential = std::make_shared<NonlocalPotential<dim>>(kernels, parameters.potential_nodes, communicator);
      // The companion first: the solvers share the potential, which follows
      // the mesh of the solver last set up.
      const bool root       = dealii::Utilities::MPI::this_mpi_process(communicator) == 0;
      SolverParameters current = parameters;
      auto             risk_error = risk_error_estimator<dim>(problem, current, potential, output, communicator);
      if (!risk_error.available() && parameters.risk_error_estimate && write_files && root)
        std::cout << "risk error estimate: not available for " << risk_error.reason() << std::endl;
      const unsigned int allowed = parameters.refinements_for_tolerance(dim);
      for (unsigned int added = 0;; ++added)
        {
          Solver<dim> solver(problem, current, potential, communicator);
          solver.make_mesh();
          solver.set_initial_density();
          if (before_output && added == 0)
            before_output();
          // A refined solve rewrites the same output files.
          const std::string risk_error_reason = risk_error.reason();
          auto              previous_companion = risk_error.companion_risks();
          auto              trajectory         = solver.run(output, write_files, std::move(risk_error), box_grows);
          resolve_noise_time_stepping(solver, current);
          mass_out                = solver.mass_out_by_side();
          if (box_grows(mass_out))
            return trajectory;
          const double estimate   = model::sup_risk_error_estimate(trajectory);
          // NaN: a mesh file without global refinements has no coarser
          // companion, but a refined solve can have this one.
          const bool missed = std::isnan(estimate) ? allowed > 0 :
                                                     parameters.risk_tolerance > 0. && estimate > parameters.risk_tolerance;
          if (!missed)
            return trajectory;
          if (added == allowed)
            {
              if (write_files && root)
                std::cout << "WARNING: risk error estimate " << estimate << " above PDE/Risk tolerance "
                          << parameters.risk_tolerance << " at " << mesh_resolution(current, dim)
                          << " (raise PDE/Refinements for tolerance, PDE/Global refinements or PDE/Subdivisions, "
                             "or the tolerance)"
                          << std::endl;
              return trajectory;
            }
          // This solve is the coarse companion of the next one; without a
          // companion of its own (a mesh file) the next one's estimate is
          // that of a first solve, from one more solve on this mesh.
          auto finer = refined_once(current, dim);
          if (previous_companion.empty())
            risk_error = space_time_estimator<dim>(problem, {current, finer.ratio}, risks_of(trajectory),
                                                   finer.parameters, potential, output, communicator);
          else
            risk_error = RiskErrorEstimator(finer, risks_of(trajectory), current.degree, std::move(previous_companion));
          current    = finer.parameters;
          if (root)
            {
              std::cout << "pde: ";
              if (std::isnan(estimate))
                std::cout << "no risk error estimate on this mesh (" << risk_error_reason << ")";
              else
                std::cout << "risk error estimate " << estimate << " above PDE/Risk tolerance "
                          << parameters.risk_tolerance;
              std::cout << ": solving again with " << mesh_resolution(current, dim) << std::endl;
            }
        }
    }

    /// A solve on the generated box that lost more than this fraction of its
    /// mass through its sides (not through an axis r_b = 0, which no box
    /// moves) is repeated on a larger box, at most box_growths times. A solve
    /// that grows stops where its loss passes the threshold, so a side that
    /// loses mass only later grows in a later repetition: with a uniform law
    /// of a on 8^2 cells of degree 1 (d = 40, T = 2) the amplitude's sides
    /// grow at t = 0.5 twice and the radius's upper end at t = 2.
    constexpr double box_growth_threshold = 1e-6;
    constexpr unsigned int box_growths    = 4;

    /// The solve; on the generated box (no Box lower/upper, no mesh file), while
    /// more than box_growth_threshold of the mass leaves it through its sides
    /// (the solve stops at the first output time where it has), again on a box
    /// grown at the sides that lost the most by then, until the others
    /// together lost at most that: an amplitude's side moves out by half the length, a radius's
    /// upper end by the whole length, in whole cells of the same size, so the
    /// faces on the jumps of the initial law stay (a radius's lower end above
    /// r = 0 moves to 0). Why: with a trainable second layer a neuron's a moves
    /// at a speed independent of a and can cross 0 (uniform law of a on
    /// [0.5, 1.5], d = 40, T = 2: 2% of the mass left the default a-range
    /// [0, 2], and the risk was 1.4e-4 off); only the sides it crosses grow.
    template <int dim>
    model::ReducedLawTrajectory
    solve_in_dimension(const model::Problem &problem, const SolverParameters &parameters,
                       const io::OutputParameters &output, bool write_files,
                       const std::function<void()> &before_output, MPI_Comm communicator)
    {
      const bool generated = parameters.box_lower.empty() && parameters.mesh_file.empty();
      SolverParameters current = parameters;
      const bool root = dealii::Utilities::MPI::this_mpi_process(communicator) == 0;
      for (unsigned int growth = 0;; ++growth)
        {
          // A box that grows is not solved to the end nor refined for the
          // tolerance first.
          const auto box_grows = [&](const Outflow &outflow) {
            return generated && outflow.box_sides() > box_growth_threshold && growth < box_growths;
          };
          Outflow    mass_out;
          const auto trajectory = solve_to_tolerance<dim>(problem, current, output, write_files,
                                                          growth == 0 ? before_output : std::function<void()>(),
                                                          communicator, box_grows, mass_out);
          if (!box_grows(mass_out))
            return trajectory;
          // The box and the mesh made explicit (the default mesh's adaptivity and
          // refinements for tolerance kept), then grown.
          const auto refinements = current.refinements_for_tolerance(dim);
          SolverParameters grown = current.with_default_mesh(dim);
          std::tie(grown.box_lower, grown.box_upper) =
            current.box_lower.empty() ? default_box(problem, grown, dim) :
                                        std::make_pair(current.box_lower, current.box_upper);
          grown.tolerance_refinements = refinements;
          // The sides in order of their outflow, grown until the others
          // together lost at most the threshold.
          std::vector<unsigned int> by_outflow(2 * dim);
          std::iota(by_outflow.begin(), by_outflow.end(), 0);
          std::sort(by_outflow.begin(), by_outflow.end(),
                    [&](unsigned int i, unsigned int j) { return mass_out.slot[i] > mass_out.slot[j]; });
          std::vector<bool> grows(2 * dim, false);
          double            kept = mass_out.box_sides();
          for (unsigned int i = 0; i < 2 * dim && kept > box_growth_threshold; ++i)
            {
              grows[by_outflow[i]] = true;
              kept -= mass_out.slot[by_outflow[i]];
            }
          for (unsigned int k = 0; k < dim; ++k)
            {
              double &lower = grown.box_lower[k], &upper = grown.box_upper[k];
              unsigned int &n         = grown.subdivisions[k];
              const double  h         = (upper - lower) / n;
              const bool    amplitude = k == 0 && problem.reduced_setting().has_amplitude();
              const unsigned int added = amplitude ? (n + 1) / 2 : n;
              if (grows[2 * k + 1])
                {
                  upper += added * h;
                  n += added;
                }
              if (grows[2 * k] && amplitude)
                {
                  lower -= added * h;
                  n += added;
                }
              else if (grows[2 * k])
                {
                  n += static_cast<unsigned int>(std::ceil(lower / h - 1e-9));
                  lower = 0.;
                }
            }
          if (root)
            {
              std::cout << "pde: a fraction " << mass_out.box_sides() << " of the mass left the box through its sides by t = "
                        << trajectory.back().t << "; solving again on";
              for (unsigned int k = 0; k < dim; ++k)
                std::cout << (k == 0 ? " [" : " x [") << grown.box_lower[k] << ", " << grown.box_upper[k] << "]";
              std::cout << std::endl;
            }
          current = grown;
        }
    }
  } // namespace

  template <int dim>
  std::string
  noise_time_stepping_of_solve(const model::Problem &problem, const SolverParameters &parameters,
                               const std::shared_ptr<NonlocalPotential<dim>> &potential, MPI_Comm communicator)
  {
    // Without noise there is nothing to decide (and no companion to set up).
    std::string reason;
    if (problem.temperature > 0. && parameters.noise_time_stepping == "automatic" && parameters.risk_error_estimate)
      if (const auto coarse = coarsened(parameters, dim, reason))
        {
          Solver<dim> companion(problem, coarse->parameters, potential, communicator);
          companion.make_mesh();
          companion.set_initial_density();
          return companion.implicit_noise() ? "implicit" : "explicit";
        }
    return parameters.noise_time_stepping;
  }

  template std::string
  noise_time_stepping_of_solve<1>(const model::Problem &, const SolverParameters &,
                                  const std::shared_ptr<NonlocalPotential<1>> &, MPI_Comm);
  template std::string
  noise_time_stepping_of_solve<2>(const model::Problem &, const SolverParameters &,
                                  const std::shared_ptr<NonlocalPotential<2>> &, MPI_Comm);
  template std::string
  noise_time_stepping_of_solve<3>(const model::Problem &, const SolverParameters &,
                                  const std::shared_ptr<NonlocalPotential<3>> &, MPI_Comm);

  model::ReducedLawTrajectory
  solve(const model::Problem &problem, const SolverParameters &parameters, const io::OutputParameters &output,
        bool write_files, const std::function<void()> &before_output, MPI_Comm communicator)
  {
    io::require(problem.temperature == 0. || problem.alpha == 1., "Problem/Temperature tau",
                "noise needs Problem/Scaling alpha = 1");
    io::require(problem.weight_decay == 0. || problem.alpha == 1., "Problem/Weight decay lambda",
                "weight decay needs Problem/Scaling alpha = 1");
    io::require(problem.temperature > 0. || parameters.noise_time_stepping != "implicit", "PDE/Noise time stepping",
                "implicit needs noise, Problem/Temperature tau > 0 (use automatic or explicit)");
    switch (problem.reduced_setting().dimension())
      {
        case 1:
          return solve_in_dimension<1>(problem, parameters, output, write_files, before_output, communicator);
        case 2:
          return solve_in_dimension<2>(problem, parameters, output, write_files, before_output, communicator);
        default:
          return solve_in_dimension<3>(problem, parameters, output, write_files, before_output, communicator);
      }
  }
} // namespace mfdd::pde
