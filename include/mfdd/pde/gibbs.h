// The stationary state of the noisy reduced dynamics (doc/theory.md §8),
// solved directly as the fixed point of the Gibbs map on the PDE's mesh.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/model/reduced_law.h>
#include <mfdd/pde/parameters.h>

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

namespace mfdd::pde
{
  /**
   * The `Gibbs` section: the fixed-point iteration of `mfdd gibbs`.
   */
  struct GibbsParameters
  {
    std::string  method         = "discrete"; ///< discrete | projected
    double       tolerance      = 1e-12;
    unsigned int max_iterations = 500;
    unsigned int anderson_depth = 5;
    double       damping        = 0.5;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    void
    parse_parameters(dealii::ParameterHandler &prm);
  };

  /// What `mfdd gibbs` found.
  struct GibbsResult
  {
    unsigned int        iterations = 0;
    double              residual   = 0.; ///< max |G(rho) - rho| / max |rho| of the DG coefficients at the end
    bool                converged  = false;
    double              risk = 0., free_energy = 0.;
    std::vector<double> mean; ///< of each reduced coordinate
    /// The Gibbs density as the comparison layer sees it (t = Problem/Final time).
    model::ReducedLawSnapshot state;
  };

  /**
   * Solves rho = G(rho) on the mesh of `mfdd pde` (PDE section; an adaptive
   * mesh is adapted once, to the initial density) by damped Picard iteration
   * with Anderson acceleration, G(rho) limited and scaled to mass 1. Method
   * discrete: G(rho) is the stationary state of the PDE's semi-discrete
   * operator with psi frozen at psi[rho] (Solver::linearised_implicit_step
   * with a very long step), so the fixed point is the stationary state of
   * `mfdd pde`'s discretisation. Method projected: G(rho) is the density
   * proportional to s(z) exp(-(2D/tau) psi(z; rho)) (psi with the weight
   * decay's lambda|z|^2/2, s(z) the surface factor of the radii), projected.
   * InputError without noise (tau = 0) or without confinement (lambda = 0:
   * no stationary state). Writes gibbs.pvd/.vtu, gibbs.csv (rho on the sample
   * grid) and gibbs_summary.csv if @p write_files; @p before_output runs
   * once the input is checked.
   */
  GibbsResult
  solve_gibbs(const model::Problem        &problem,
              const SolverParameters      &parameters,
              const GibbsParameters       &gibbs,
              const io::OutputParameters  &output,
              bool                         write_files,
              const std::function<void()> &before_output = {},
              MPI_Comm                     communicator  = MPI_COMM_WORLD);
} // namespace mfdd::pde
