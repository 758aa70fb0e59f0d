// `mfdd kernel`: reads the Kernel limit, PDE and SGD sections, checks them
// before anything is written, and hands the alpha-scaled PDE and SGD to
// ntk::KernelStudy. With `Time units = section 6` every evolution is run as
// doc/theory.md §6 writes it (xi = 1/2 in mfdd's form, final time 2 xi T).
#include "evolutions.h"

#include <mfdd/app/commands.h>
#include <mfdd/io/input_error.h>
#include <mfdd/ntk/kernel_study.h>
#include <mfdd/ntk/parameters.h>
#include <mfdd/particles/sgd.h>
#include <mfdd/pde/solver.h>

#include <iomanip>
#include <sstream>

namespace mfdd::app
{
  namespace
  {
    /**
     * @p problem as doc/theory.md §6 writes the dynamics: d_t rho = (1/alpha)
     * div(rho grad Psi_alpha) is mfdd's form with xi = 1/2, run to t_6 = 2 xi T
     * (xi constant, checked by the parameters). Re-read from @p prm with the
     * two entries replaced (and restored afterwards).
     */
    model::Problem
    problem_in_section6_time(dealii::ParameterHandler &prm, const model::Problem &problem)
    {
      const double xi = problem.xi(0.);
      io::require(xi > 0., "Kernel limit/Time units", "'section 6' needs a positive Problem/Step size schedule xi");
      prm.enter_subsection("Problem");
      const std::string schedule = prm.get("Step size schedule xi"), final_time = prm.get("Final time");
      std::ostringstream t6;
      t6 << std::setprecision(17) << 2. * xi * problem.final_time;
      prm.set("Step size schedule xi", "0.5");
      prm.set("Final time", t6.str());
      prm.leave_subsection();
      model::Problem result;
      try
        {
          result.parse_parameters(prm);
        }
      catch (...)
        {
          prm.enter_subsection("Problem");
          prm.set("Step size schedule xi", schedule);
          prm.set("Final time", final_time);
          prm.leave_subsection();
          throw;
        }
      prm.enter_subsection("Problem");
      prm.set("Step size schedule xi", schedule);
      prm.set("Final time", final_time);
      prm.leave_subsection();
      return result;
    }

    /// The PDE and SGD of `mfdd kernel`, with the files' PDE and SGD sections.
    class KernelEvolutions : public ntk::ScaledEvolutions
    {
    public:
      KernelEvolutions(pde::SolverParameters pde_parameters, particles::SgdParameters sgd_parameters,
                       io::OutputParameters output)
        : pde_parameters(for_self_convergence(std::move(pde_parameters)))
        , sgd_parameters(std::move(sgd_parameters))
        , output(std::move(output))
      {}

      model::ReducedLawTrajectory
      pde(const model::Problem &problem, unsigned int level) const override
      {
        return solve_pde(problem, pde_parameters, output, level, MPI_COMM_WORLD);
      }

      model::ReducedLawTrajectory
      sgd(const model::Problem &problem, unsigned int seed) const override
      {
        return particles::run_sgd(problem, sgd_parameters, seed, MPI_COMM_WORLD);
      }

    private:
      pde::SolverParameters    pde_parameters;
      particles::SgdParameters sgd_parameters;
      io::OutputParameters     output;
    };
  } // namespace

  int
  run_kernel(RunContext &context)
  {
    // Parse and check everything before anything is written.
    ntk::KernelLimitParameters parameters;
    parameters.parse_parameters(context.prm, context.problem);
    const bool section6 = parameters.time_units == ntk::KernelLimitParameters::TimeUnits::section6;
    const model::Problem problem =
      section6 ? problem_in_section6_time(context.prm, context.problem) : context.problem;
    parameters.check_tangent_model(problem);
    io::OutputParameters output = context.output;
    if (section6)
      output.interval *= 2. * context.problem.xi(0.);

    pde::SolverParameters pde_parameters;
    if (parameters.run_pde)
      pde_parameters = context.pde_parameters(2);
    particles::SgdParameters sgd_parameters;
    if (parameters.run_sgd)
      {
        sgd_parameters.parse_parameters(context.prm);
        sgd_parameters.output_interval          = output.interval;
        sgd_parameters.symmetric_initialisation = true;
        sgd_parameters.record_exact_risk        = true;
        sgd_parameters.exact_risk_every         = 1;
        for (const double alpha : parameters.alphas)
          {
            model::Problem scaled = problem;
            scaled.alpha          = alpha;
            sgd_parameters.check(scaled);
          }
        context.check_sgd_cost(problem, sgd_parameters, parameters.alphas.size() * parameters.sgd_seeds);
      }
    context.start_output();

    const KernelEvolutions evolutions(pde_parameters, sgd_parameters, output);
    const ntk::KernelStudy study(problem, parameters, output, section6 ? "t6" : "t");
    study.run(evolutions, sgd_parameters.seed);
    return 0;
  }
} // namespace mfdd::app
