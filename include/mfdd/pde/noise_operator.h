// The linear noise operator of the reduced dynamics (doc/theory.md §4) as a
// Trilinos matrix on the solver's DG space, and the solves (M - c K) x = b of
// the implicit stages of the IMEX scheme (imex_runge_kutta.h).
#pragma once

#include <mfdd/pde/dg_matrix.h>
#include <mfdd/pde/outflow.h>

#include <functional>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_solver.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

namespace mfdd::pde
{
  /**
   * The noise's generator for nu = 1, K rho = Laplacian(rho) - sum_b
   * d_{r_b}((m_b - 1) rho / r_b), discretised as in Solver's explicit
   * operator: the drift (m_b - 1)/r_b upwinded, the Laplacian by the
   * symmetric interior penalty method (penalty (degree + 1)^2 / h, h the
   * smaller cell size of the two sides); a boundary face on r_b = 0, and
   * every boundary face if the box's sides reflect, has no flux, the other
   * boundary faces see rho = 0 outside. K and the mass matrix M are assembled
   * by assemble_dg_matrix().
   * The noise is nu(t) K with nu = xi tau / D, so K is assembled once per mesh.
   *
   * solve() inverts A = M - c K (c = dt gamma nu of a stage). K is not
   * symmetric (the drift), so CG does not apply. Two solvers:
   * - direct (the default): Trilinos Amesos KLU, the LU factorisation of the
   *   whole matrix (in 2D gathered on one rank), kept while c is unchanged;
   * - iterative: GMRES preconditioned with Trilinos ML's AMG (ILU smoother;
   *   rebuilt when c moves by more than 10% from the c it was built for),
   *   to a relative residual of 1e-13.
   * The solver's time step is kept constant between output times (Solver::
   * advance), so a run factorises A a few times, not every step.
   */
  template <int dim>
  class NoiseOperator
  {
  public:
    using VectorType = dealii::TrilinosWrappers::MPI::Vector;

    /// The drift of the radial Laplacian per unit nu at a point, (m_b - 1)/r_b
    /// in each radius's coordinate (Solver::radial_drift).
    using Drift = DgVelocity<dim>;
    /// Whether a boundary face is closed (Solver::closed_boundary, the same
    /// faces as the explicit operator's).
    using ClosedBoundary = DgClosedBoundary<dim>;

    /// What the solves have cost since reinit(): solve() calls, factorisations
    /// (direct) or AMG builds (iterative), GMRES iterations, and the seconds
    /// spent setting up (system matrix, factorisation or AMG) and solving.
    struct Statistics
    {
      unsigned int solves = 0, setups = 0, iterations = 0;
      double       setup_seconds = 0., solve_seconds = 0.;
    };

    /// @p iterative: GMRES + AMG instead of the direct solver.
    NoiseOperator(Drift drift, ClosedBoundary closed, bool iterative = false);

    /// Assembles K and M on @p dof_handler's current mesh (rows: @p owned_dofs).
    void
    reinit(const dealii::DoFHandler<dim> &dof_handler, const dealii::IndexSet &owned_dofs, MPI_Comm communicator);

    /// dst = K src.
    void
    apply(const VectorType &src, VectorType &dst) const
    {
      stiffness.vmult(dst, src);
    }
    /// K itself.
    const dealii::TrilinosWrappers::SparseMatrix &
    matrix() const
    {
      return stiffness;
    }
    /// dst = M src.
    void
    apply_mass(const VectorType &src, VectorType &dst) const
    {
      mass.vmult(dst, src);
    }
    /// The rate at which K u carries mass out through each side of the box,
    /// in total -1^T K u in exact arithmetic (the Lagrange basis sums to 1, so
    /// 1^T M u is the mass of u), assembled from the boundary faces alone:
    /// exactly 0 when every boundary face is closed.
    Outflow
    outflow_rate(const VectorType &u) const
    {
      Outflow rate;
      for (unsigned int s = 0; s < 2 * dim; ++s)
        rate.slot[s] = outflow_functional[s] * u;
      return rate;
    }

    /// 1^T v: the mass of u for v = M u.
    double
    total(const VectorType &v) const
    {
      return v * ones;
    }

    /// Solves (M - c K) x = b (x is the initial guess of GMRES). Then
    /// scales x so that 1^T M x + c outflow_rate(x) = @p mass_balance (the
    /// stage's mass before its implicit outflow) to round-off, whatever the
    /// solver's tolerance.
    void
    solve(double c, VectorType &x, const VectorType &b, double mass_balance);

    const Statistics &
    statistics() const
    {
      return stats;
    }

  private:
    /// Sets system = M - c K and (re)builds the factorisation or preconditioner.
    void
    prepare(double c);

    const Drift               drift;
    const ClosedBoundary      closed;
    const bool                iterative; ///< GMRES + AMG, else KLU

    dealii::TrilinosWrappers::SparseMatrix stiffness, mass, system;
    /// Per side of the box: the outflow rate of u through it is the product with u.
    std::array<VectorType, 2 * dim>        outflow_functional;
    VectorType                             ones, work;

    double                                               system_c = -1., preconditioner_c = -1.;
    std::unique_ptr<dealii::SolverControl>               direct_control;
    std::unique_ptr<dealii::TrilinosWrappers::SolverDirect> direct;
    dealii::TrilinosWrappers::PreconditionAMG            amg;
    Statistics                                           stats;
  };
} // namespace mfdd::pde
