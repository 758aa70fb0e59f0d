// Assembly of the noise operator K and the mass matrix M (NoiseOperator, see
// include/mfdd/pde/noise_operator.h), and the solves of the implicit stages.
#include <mfdd/pde/dg_matrix.h>
#include <mfdd/pde/noise_operator.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/timer.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>

#include <cmath>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  NoiseOperator<dim>::NoiseOperator(Drift drift, ClosedBoundary closed, const bool iterative)
    : drift(std::move(drift))
    , closed(std::move(closed))
    , iterative(iterative)
  {}

  template <int dim>
  void
  NoiseOperator<dim>::reinit(const DoFHandler<dim> &dof_handler, const IndexSet &owned_dofs, const MPI_Comm communicator)
  {
    // K = Laplacian - div(drift .), each term as the explicit operator discretises it.
    assemble_dg_matrix<dim>(dof_handler, owned_dofs, communicator, drift, 1., closed, stiffness, &mass,
                            &outflow_functional);
    ones.reinit(owned_dofs, communicator);
    ones = 1.;
    work.reinit(ones);
    system_c = preconditioner_c = -1.;
    direct.reset();
    stats = Statistics();
  }

  template <int dim>
  void
  NoiseOperator<dim>::prepare(const double c)
  {
    if (c == system_c)
      return;
    Timer timer;
    system.copy_from(mass);
    system.add(-c, stiffness);
    system_c = c;
    if (!iterative)
      {
        direct_control = std::make_unique<SolverControl>(1, 0.);
        direct = std::make_unique<TrilinosWrappers::SolverDirect>(*direct_control);
        direct->initialize(system);
        ++stats.setups;
      }
    else if (!(std::abs(c - preconditioner_c) <= 0.1 * preconditioner_c))
      {
        TrilinosWrappers::PreconditionAMG::AdditionalData data;
        data.elliptic              = false;
        data.higher_order_elements = true;
        data.smoother_sweeps       = 2;
        data.smoother_type         = "ILU"; // the default (symmetric Gauss-Seidel) left GMRES slow on this nonsymmetric K
        amg.initialize(system, data);
        preconditioner_c = c;
        ++stats.setups;
      }
    stats.setup_seconds += timer.wall_time();
  }

  template <int dim>
  void
  NoiseOperator<dim>::solve(const double c, VectorType &x, const VectorType &b, const double mass_balance)
  {
    prepare(c);
    Timer timer;
    if (!iterative)
      direct->solve(x, b);
    else
      {
        SolverControl                               control(1000, 1e-13 * b.l2_norm());
        SolverGMRES<VectorType>                     gmres(control, SolverGMRES<VectorType>::AdditionalData(50));
        gmres.solve(system, x, b, amg);
        stats.iterations += control.last_step();
      }
    ++stats.solves;
    // 1^T (M - c K) x = 1^T M x + c (outflow of x), with the outflow from
    // the boundary faces alone (1^T K's interior terms cancel only up to
    // round-off of entries ~ (degree + 1)^2 / h^2).
    mass.vmult(work, x);
    const double balance = work * ones + c * outflow_rate(x).total();
    if (balance != 0.)
      x *= mass_balance / balance;
    stats.solve_seconds += timer.wall_time();
  }

#define MFDD_INSTANTIATE(dim) template class NoiseOperator<dim>;
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
