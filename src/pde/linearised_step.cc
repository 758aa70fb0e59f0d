// The backward Euler step of the semi-discrete equations linearised at the
// current density (Solver::linearised_implicit_step): its operator assembled
// as a Trilinos matrix (dg_matrix.h) and solved directly. `mfdd gibbs` takes
// it with a very long step as its discrete Gibbs map (doc/theory.md §8).
#include <mfdd/pde/dg_matrix.h>
#include <mfdd/pde/solver.h>

#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/trilinos_solver.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  void
  Solver<dim>::linearised_implicit_step(const double dt, const double t)
  {
    {
      TimerOutput::Scope scope(timer, "potential");
      gather_cells(owned_density_weights(solution, &rho_at_q), n_q_points, density_weights);
      potential->update(density_weights);
    }
    TimerOutput::Scope scope(timer, "linearised implicit step");
    const double factor   = -2. * problem.xi(t) / problem.alpha;
    const double nu       = noise_coefficient(t);
    const bool   implicit = implicit_noise();
    // advance()'s explicit rate: factor grad psi, and without implicit noise
    // the noise's drift and SIPG term too (upwinded with the transport).
    const DgVelocity<dim> velocity = [&](const Point<dim> &z) {
      Tensor<1, dim> gradient;
      potential->value(z, &gradient);
      Tensor<1, dim> b = factor * gradient;
      if (!implicit && nu > 0.)
        b += nu * radial_drift(z);
      return b;
    };
    const DgClosedBoundary<dim> closed = [this](const Point<dim> &z, const Tensor<1, dim> &normal, double h) {
      return closed_boundary(z, normal, h);
    };
    TrilinosWrappers::SparseMatrix transport, mass_matrix, system;
    assemble_dg_matrix<dim>(dof_handler, locally_owned_dofs, mesh_communicator, velocity, implicit ? 0. : nu, closed,
                            transport, &mass_matrix);
    system.copy_from(mass_matrix);
    system.add(-dt, transport);
    if (implicit && nu > 0.)
      system.add(-dt * nu, noise().matrix()); // K of the IMEX stages, assembled once per mesh
    VectorType rhs(solution), y(solution);
    mass_matrix.vmult(rhs, solution);
    // A direct solver: with a long step the system is close to singular (its
    // solution is then dominated by the stationary state, which is what is
    // wanted), where Krylov solvers stall. MUMPS (through Amesos) rather than
    // KLU: the matrix changes every call, and a factorisation took 3.5x less
    // time (`mfdd gibbs` on gibbs_amplitude_radius.prm's adaptive default
    // mesh, 46k unknowns, 2 ranks: 68 s against 237 s; 48^2 cells, 1 rank:
    // 10.5 s against 15.4 s; same risk to 3e-14).
    SolverControl                  control(1, 0.);
    TrilinosWrappers::SolverDirect direct(control, TrilinosWrappers::SolverDirect::AdditionalData(false, "Amesos_Mumps"));
    direct.solve(system, y, rhs);
    // The noisy stages' limiter: the step is not positivity preserving.
    apply_noise_limiter(y);
    solution = y;
    solution /= mass();
  }

#define MFDD_INSTANTIATE(dim) template void Solver<dim>::linearised_implicit_step(const double dt, const double t);
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
