#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/model/reduced_law.h>
#include <mfdd/pde/bernstein_bound.h>
#include <mfdd/pde/imex_runge_kutta.h>
#include <mfdd/pde/noise_operator.h>
#include <mfdd/pde/parameters.h>
#include <mfdd/pde/potential.h>
#include <mfdd/pde/risk_error_estimate.h>
#include <mfdd/pde/ssp_runge_kutta.h>
#include <mfdd/pde/tensor_point_minimum.h>

#include <deal.II/base/function.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/grid/tria.h>
#include <deal.II/lac/trilinos_vector.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <Epetra_Import.h>

/// Applies @p macro to every reduced dimension the solver is compiled for
/// (the explicit instantiations of the solver's source files use it).
#define MFDD_FOR_EACH_REDUCED_DIMENSION(macro) macro(1) macro(2) macro(3)

namespace mfdd::pde
{
  template <int dim>
  class DgOperator;

  /// The generated box when PDE/Box lower and Box upper are empty (lower and
  /// upper corner): for a, the initial law's range widened by half its width
  /// on each side; for a radius, 0 (or with noise half the initial 1e-12
  /// quantile) to 2.5 times the radius beyond which the initial law has mass
  /// 1e-12. @p parameters has its mesh filled in (with_default_mesh()).
  std::pair<std::vector<double>, std::vector<double>>
  default_box(const model::Problem &problem, const SolverParameters &parameters, unsigned int dim);

  /**
   * The mesh of the reduced coordinates: distributed over the ranks by p4est
   * in 2D and 3D; in 1D (deal.II 9.4 has no p4est triangulation of dimension 1, and
   * 1D meshes are small) a serial triangulation that every rank holds whole.
   */
  template <int dim>
  using Mesh = std::conditional_t<dim == 1, dealii::Triangulation<dim>, dealii::parallel::distributed::Triangulation<dim>>;

  /**
   * Upwind discontinuous Galerkin solver of the reduced distributional dynamics
   *
   *   d_t rho = div(rho (2 xi(t)/alpha) grad psi),   velocity b = -(2 xi/alpha) grad psi,
   *
   * on dim reduced coordinates (1: r; 2: (a, r) or (r1, r2); 3: (a, r1, r2)), and with noise
   * (tau > 0, doc/theory.md §4) the reduced Laplacian nu (d_k^2 rho - d_r((m_b - 1) rho / r_b)),
   * nu = xi tau / D: its first-order part is a drift nu (m_b - 1)/r_b added to
   * b (upwinded like the rest), its second-order part nu Laplacian(rho) is
   * discretised by the symmetric interior penalty method (penalty
   * (degree + 1)^2 / h; the box's artificial boundaries absorb, rho = 0, with
   * the outflow counted in mass_out; a boundary on r_b = 0 is closed).
   *
   * What it guarantees (and how):
   * - Mass: the DG scheme is locally conservative; the boundary (r = 0, the
   *   box ends) lets nothing in (inflow value 0) and everything that flows out
   *   is integrated with the Runge-Kutta weights into mass_out(), so
   *   mass() + mass_out() is constant to round-off.
   * - Positivity: SSP-RK3 (Shu-Osher) with the Zhang-Shu scaling limiter after
   *   every stage: each cell's polynomial is scaled towards its mean (the mean,
   *   hence the mass, is unchanged) until rho >= 0 at the volume Gauss points
   *   and at the Gauss-Lobatto x Gauss points of every direction. Means stay
   *   non-negative for CFL <= 1/6 (degree <= 3; 1/2 for degree 1); a negative
   *   mean stops the run with io::RunError. With noise the cell means do not
   *   stay non-negative (the SIPG flux can draw from an empty cell next to a
   *   steep one, whatever the time step): a cell whose mean comes out
   *   negative is set to 0 and every positive cell is scaled by one common
   *   factor that restores the mass (apply_noise_limiter), a global, not
   *   local, correction.
   * - Time step: dt = CFL min_K h_K / max_K |b|_1 (b at every quadrature point
   *   of the step's first stage), with noise also dt <= CFL min_K h_K^2 /
   *   (2 dim nu (degree + 1)^2), cut to land on output times; or fixed.
   * - Potential: supplied by a Potential<dim> (nonlocal or prescribed).
   *
   * Parallel model: in 2D and 3D the mesh is a p4est triangulation and rho a Trilinos
   * vector of the locally owned DoFs; the DG operator (DgOperator, on
   * deal.II's MatrixFree) integrates this rank's cells and the faces
   * MatrixFree assigns to it (reading the neighbours' values across rank
   * boundaries from its ghosted vectors); each rank computes psi at those
   * points, the limiter and the Runge-Kutta stages of its own cells. psi
   * needs the density everywhere: at every stage the weights rho JxW of all
   * cells are gathered on every rank in one global cell order (by CellId)
   * that does not depend on the number of ranks, so the potential, the risk,
   * mass, means and the adaptive marking see the same data on any number of
   * ranks. The residual of a cell adds its face terms in an order (and a face
   * from a side) that MatrixFree chooses by the partition, so the density
   * on 1 and 2 ranks agrees to round-off, not to the bit. In 1D every rank
   * solves the whole problem (same results on every rank).
   *
   * Adaptive mesh (optional, AdaptivityParameters): every `interval` steps the
   * cells are flagged by an indicator of the density (gathered in the global
   * cell order and marked identically on every rank), refined and coarsened
   * within the level bounds (p4est keeps neighbours within one level across
   * faces and vertices), and rho is moved to the new mesh by deal.II's
   * (parallel) SolutionTransfer: on refined cells the parent polynomial is
   * interpolated exactly (after limiting every cell at its would-be
   * children's limiter points, so the children are >= 0 there; every cell,
   * because p4est's balance refines cells beyond the flagged ones); on coarsened cells it is projected in L2
   * on the reference cell, which keeps int rho exactly because the Q1
   * mapping's Jacobian lies in the DG space; the positivity limiter
   * (mean-preserving) follows. So mass is kept to round-off and rho >= 0 at
   * the limiter points. Hanging faces (2D, 3D) are integrated on their subfaces,
   * and the limiter points include the subfaces' Gauss points.
   */
  template <int dim>
  class Solver
  {
  public:
    using VectorType = dealii::TrilinosWrappers::MPI::Vector;

    Solver(const model::Problem &problem, const SolverParameters &parameters, std::shared_ptr<Potential<dim>> potential,
           MPI_Comm communicator = MPI_COMM_WORLD);
    ~Solver();

    /// Builds the box or reads the mesh file (InputError if missing/unreadable).
    void
    make_mesh();

    /// Sets rho_0 to the cell-wise L2 projection of @p density, limited and
    /// scaled to mass 1. If @p check_containment, InputError unless the mesh
    /// holds all but 1e-10 of @p density's mass (@p density must then have mass 1).
    void
    set_initial_density(const dealii::Function<dim> &density, bool check_containment);
    /// The problem's built-in initial law or the section's expression.
    void
    set_initial_density();

    /// The DG coefficients of rho_h (this rank's cells).
    const VectorType &
    density() const
    {
      return solution;
    }
    /// Sets rho_h to @p coefficients (same mesh), limited and scaled to mass 1.
    void
    set_density(const VectorType &coefficients);
    /// Sets rho_h to the cell-wise L2 projection of @p f on the current mesh
    /// (no adaptation), limited and scaled to mass 1.
    void
    set_density(const dealii::Function<dim> &f);
    /// Replaces rho_h by the solution y of one backward Euler step of length
    /// @p dt, (M - dt L) y = M rho_h, of the semi-discrete equations that
    /// advance() steps, linearised at rho_h: L is their operator with psi
    /// frozen at psi[rho_h] and xi at its value at @p t (the transport's
    /// upwind DG; the noise as advance() treats it: the operator K of the IMEX
    /// stages with implicit noise, else the drift and SIPG term within the
    /// transport). Then limits y as the IMEX stages are limited (the step is
    /// not positivity preserving: cells of negative mass are set to 0) and
    /// scales it to mass 1. For a long step, y is the stationary state of the
    /// frozen L: the discrete Gibbs map of `mfdd gibbs`.
    void
    linearised_implicit_step(double dt, double t);
    /// Writes rho_h, psi and the velocity as <name>_0000.vtu (.pvtu) with
    /// <name>.pvd, and rho_h on the PDE/Sample cells grid as <name>.csv.
    void
    write_state(const io::OutputParameters &output, const std::string &name);

    /// rho_h now, as the comparison layer sees it: the risk, the quadrature
    /// points with rho_h JxW (all ranks), rho_h on the PDE/Sample cells grid.
    model::ReducedLawSnapshot
    snapshot();

    /// Refines and coarsens the mesh by the density (AdaptivityParameters),
    /// moving rho by SolutionTransfer (mass kept to round-off, rho >= 0 at the
    /// limiter points); returns false if no cell changed. advance() calls it
    /// every `interval` steps.
    bool
    adapt_mesh();

    /// Advances to time @p t_end (to the step landing exactly on it).
    void
    advance(double t_end);

    /// Runs to Problem/Final time, writing the outputs if @p write_files, and
    /// returns the snapshots at every output time, each with the risk error
    /// estimate of @p risk_error (also in the diagnostics). Stops at the first
    /// output time where @p stop says so of the outflow so far (the snapshots
    /// end there).
    model::ReducedLawTrajectory
    run(const io::OutputParameters &output, bool write_files,
        RiskErrorEstimator risk_error = RiskErrorEstimator(),
        const std::function<bool(const Outflow &)> &stop = {});

    // The diagnostics below are collective (every rank of the communicator
    // calls them) and return the same value on every rank.
    double
    time() const
    {
      return current_time;
    }
    double
    mass() const;
    double
    mass_out() const
    {
      return outflow.total();
    }
    /// mass_out() split by where it left (a box side or an axis r_b = 0).
    const Outflow &
    mass_out_by_side() const
    {
      return outflow;
    }
    /// Minimum of rho over the limiter points of every cell.
    double
    min_rho() const;
    double
    risk();
    /// Mean of each coordinate, int z rho.
    std::vector<double>
    mean() const;
    /// F(rho) = R/2 + (lambda/2) int |z|^2 rho + (tau/(2D)) int rho log(rho / s(z))
    /// (doc/theory.md §8), s(z) the product of r_b^(m_b - 1) over the radii, for
    /// @p risk = R(rho) of the current density.
    double
    free_energy(double risk) const;
    /// Whether the noise is stepped implicitly (PDE/Noise time stepping;
    /// automatic decides at the first call, from the CFL steps of the
    /// current density with and without the noise; collective).
    bool
    implicit_noise();
    /// Whether the box's sides are closed (PDE/Box sides, "automatic" resolved).
    bool
    reflecting_box_sides() const;
    /// Active cells of the whole mesh.
    unsigned int
    n_cells() const
    {
      return triangulation->n_global_active_cells();
    }
    /// Active cells this rank owns.
    unsigned int
    n_locally_owned_cells() const
    {
      return n_owned_cells;
    }
    double
    last_time_step() const
    {
      return last_dt;
    }
    unsigned int
    n_steps() const
    {
      return step_count;
    }
    /// The implicit noise solves' cost on the current mesh (zeros without
    /// implicit noise or before the first step).
    typename NoiseOperator<dim>::Statistics
    noise_statistics() const
    {
      return noise_operator ? noise_operator->statistics() : typename NoiseOperator<dim>::Statistics();
    }
    /// int |rho_h - f| over the mesh (Gauss quadrature with degree + 4 points).
    double
    l1_error(const dealii::Function<dim> &exact) const;
    /// int over the mesh of f(z) rho_h(z) (same quadrature).
    double
    integrate(const dealii::Function<dim> &f) const;
    /// rho_h (clamped at 0) at the cell centres of a uniform grid over the mesh bounding box.
    model::GridDensity
    sample(const std::vector<unsigned int> &n_cells_per_coordinate) const;

    /// This rank's part of the mesh (whole in 1D).
    const dealii::Triangulation<dim> &
    get_triangulation() const
    {
      return *triangulation;
    }

  private:
    using active_cell_iterator = typename dealii::DoFHandler<dim>::active_cell_iterator;

    /// A face of an owned cell for the jump indicator, seen from its minus
    /// side: the coarser cell at a hanging face, else the cell with the
    /// smaller CellId (so that every rank computes the jump from the same
    /// side, to the same bits).
    struct FaceData
    {
      unsigned int        cell_minus, cell_plus; ///< slots; plus = invalid on the boundary
      std::vector<double> JxW;
      std::vector<double> shape_minus, shape_plus; ///< [q][i]
    };

    /// Where the cells of all ranks go in the global cell order (by CellId).
    struct GlobalCellOrder
    {
      std::vector<int>          counts, offsets;   ///< owned cells of each rank, in the gathered array
      std::vector<unsigned int> position;          ///< [j]: global position of the j-th gathered cell
      std::vector<unsigned int> owned_position;    ///< [owned slot]: its global position
    };

    void
    setup_discretisation();
    /// Numbers the owned cells (slots 0..n_owned-1, by CellId) and the global order.
    void
    number_cells();
    /// The global order of all ranks' cells given this rank's @p owned_ids (sorted).
    GlobalCellOrder
    global_cell_order(const std::vector<dealii::CellId> &owned_ids) const;
    /// Quadrature points, JxW, volumes and sizes of the owned cells.
    void
    build_cell_tables();
    /// The faces of the owned cells for the jump indicator (ghost neighbours
    /// get slots after the owned ones).
    void
    build_face_tables();
    /// Whether a boundary face (point @p z, outward normal @p normal, cell
    /// size @p h) is closed: reflecting box sides, or with noise a face on
    /// r_b = 0 (the radial Laplacian's drift (m_b - 1)/r_b keeps mass away;
    /// m_b = 1 reflects).
    bool
    closed_boundary(const Point<dim> &z, const Tensor<1, dim> &normal, double h) const;
    /// Whether that boundary face lies on an axis r_b = 0 of a radius.
    bool
    on_axis(const Point<dim> &z, const Tensor<1, dim> &normal, double h) const;
    /// The slot of a cell (owned or ghost), creating a ghost slot if needed.
    unsigned int
    slot_of(const active_cell_iterator &cell);
    /// Gathers per-cell data (@p n_per_cell numbers per owned cell, in slot
    /// order) of every rank into @p global in the global cell order.
    void
    gather_cells(std::vector<double> owned, unsigned int n_per_cell, std::vector<double> &global) const;
    /// The bounding box of the whole mesh.
    dealii::BoundingBox<dim>
    bounding_box() const;
    /// Sets the refine/coarsen flags from the indicator and the level bounds
    /// (and deal.II's mesh smoothing); returns false if no cell is flagged.
    bool
    flag_cells_for_adaptation();
    /// Cell-wise L2 projection of @p density into solution; returns int density.
    double
    project_density(const dealii::Function<dim> &density);
    /// int_K rho_h over cell @p c, from its coefficients.
    double
    cell_mass(const double *coefficients, unsigned int c) const;
    /// Scales the polynomial of cell @p c towards its mean until it is >= 0 at
    /// the limiter points, or at @p points if given; returns the mean (the
    /// cell is left as it is if the mean is negative).
    double
    limit_cell(double *coefficients, unsigned int c, const TensorPointMinimum<dim> *points = nullptr) const;
    /// Coefficients of owned cell @p c in the owned vector @p u.
    double *
    owned_coefficients(VectorType &u, unsigned int c) const
    {
      return u.begin() + owned_offset[c];
    }
    const double *
    owned_coefficients(const VectorType &u, unsigned int c) const
    {
      return u.begin() + owned_offset[c];
    }
    /// Coefficients of every slot (owned and ghost) of @p u into cell_values.
    void
    read_cell_values(const VectorType &u);
    /// rho JxW at the quadrature points of the owned cells of @p u (and rho
    /// there into @p rho if given).
    std::vector<double>
    owned_density_weights(const VectorType &u, std::vector<double> *rho = nullptr) const;
    /// du/dt = L(u) at time t; returns the outflow rate through the boundary.
    /// Without @p with_noise neither the SIPG diffusion nor the noise's drift
    /// is included (for a stepper that treats the noise implicitly).
    Outflow
    compute_rate(const VectorType &u, double t, VectorType &rate, bool with_noise = true);
    /// The CFL time step from the velocity of the last compute_rate() (with
    /// the noise's drift if that call had it) and, @p with_noise, the
    /// diffusion limit at time @p t.
    double
    cfl_time_step(double t, bool with_noise = true) const;
    /// The noise operator on the current mesh, assembled at the first call
    /// after setup_discretisation().
    NoiseOperator<dim> &
    noise();
    /// The noise's diffusion coefficient nu(t) = xi(t) tau / D (doc/theory.md §2, §4).
    double
    noise_coefficient(double t) const;
    /// The drift of the radial Laplacian per unit nu at @p z: (m_b - 1)/r_b in
    /// each radius's coordinate, 0 in a's and where r_b = 0.
    Tensor<1, dim>
    radial_drift(const Point<dim> &z) const;
    /// Transport velocity at evaluation point @p p: @p factor grad psi plus,
    /// with noise (@p nu > 0), the drift nu (m_b - 1)/r_b of each radius.
    Tensor<1, dim>
    velocity(unsigned int p, double factor, double nu) const
    {
      Tensor<1, dim> b = factor * grad_psi_at_points[p];
      if (nu > 0.)
        b += nu * radial_drift_at_points[p];
      return b;
    }
    /// Limits every owned cell; RunError on every rank if a mean is negative.
    void
    apply_limiter(VectorType &u) const;
    /// The limiter of every stage with noise: neither the SIPG diffusion nor
    /// the IMEX scheme keeps cell means >= 0 (on gibbs_amplitude_radius.prm
    /// the explicit stages leave means of -3e-9 whatever the CFL number), so
    /// each cell with a negative mean is set to 0 and the positive cells are
    /// scaled by one common factor that restores the total mass, then
    /// apply_limiter().
    void
    apply_noise_limiter(VectorType &u) const;
    /// rho_h, psi and the velocity as <name>_<index>.vtu (or .pvtu), and <name>.pvd with @p pvd_records.
    void
    write_vtu(const io::OutputParameters &output, const std::string &name, unsigned int index,
              std::vector<std::pair<double, std::string>> &pvd_records) const;
    /// rho_h on the grid of @p grid as a CSV file (coordinates of the grid cells' centres, rho).
    void
    write_grid_csv(const std::string &path, const model::GridDensity &grid) const;
    void
    check_finite(const char *where) const;

    const model::Problem           &problem;
    SolverParameters                parameters;
    std::shared_ptr<Potential<dim>> potential;
    /// The ranks that share the mesh (MPI_COMM_SELF in 1D) and this rank in it.
    MPI_Comm                        mesh_communicator;
    unsigned int                    n_ranks, rank;
    /// Files are written by rank 0 of @p communicator (pieces of the .pvtu by every rank of the mesh).
    bool                            writes_files;

    std::unique_ptr<Mesh<dim>> triangulation;
    dealii::FE_DGQ<dim>        fe;
    dealii::DoFHandler<dim>    dof_handler;
    dealii::IndexSet           locally_owned_dofs, locally_relevant_dofs;
    VectorType                 solution;       ///< owned DoFs
    VectorType                 ghosted;        ///< owned and ghost DoFs, work copy
    std::unique_ptr<Epetra_Import> ghost_import; ///< owned -> ghosted

    // Reference-cell tables.
    unsigned int        n_dofs_per_cell, n_q_points;
    std::vector<double> shape_at_q;       ///< [q][i] at the volume Gauss points
    std::vector<double> shape_1d_at_q;    ///< [q][i]: the 1D factors of shape_at_q
    TensorPointMinimum<dim> limiter_points; ///< the Zhang-Shu points and the minimum over them
    /// The limiter points of the 2^dim children (reference parent cell)
    TensorPointMinimum<dim> child_limiter_points;
    /// Skips the limiter points in cells positive everywhere.
    BernsteinBound<dim> positivity_bound;

    // Cells: owned slots 0..n_owned_cells-1 (sorted by CellId), then ghost slots.
    unsigned int                      n_owned_cells;
    std::vector<active_cell_iterator> cells;         ///< [slot]
    std::vector<unsigned int>         slot_of_index; ///< [active_cell_index] -> slot or invalid
    std::vector<unsigned int>         owned_offset;  ///< [owned slot]: first DoF in the owned vector
    std::vector<unsigned int>         ghosted_offset; ///< [slot]: first DoF in the ghosted vector
    GlobalCellOrder                   order;

    // Per-cell tables of the owned cells.
    std::vector<double>         JxW;                 ///< [cell][q]
    std::vector<Point<dim>>     q_points;            ///< [cell][q]
    std::vector<double>         cell_volume, cell_size;
    /// [cell][i] int_K phi_i (the Gauss rule): a cell's mass is one dot product.
    std::vector<double>         basis_integrals;
    std::vector<std::vector<std::pair<unsigned int, bool>>> cell_faces; ///< (face, is minus side), in face order
    std::vector<FaceData>       faces; ///< only with the jump indicator
    /// The DG operator; psi is evaluated at its evaluation points.
    std::unique_ptr<DgOperator<dim>> dg_operator;
    /// The quadrature points of all cells of the mesh, in the global cell order.
    std::vector<Point<dim>>     all_q_points;

    // Work arrays.
    std::vector<double>         cell_values;  ///< [slot][i] of the stage's input
    std::vector<double>         rho_at_q;     ///< owned cells
    std::vector<double>         density_weights; ///< all cells, global order
    std::vector<double>         psi_at_points;
    std::vector<Tensor<1, dim>> grad_psi_at_points;
    std::vector<Tensor<1, dim>> velocity_at_points; ///< of the last compute_rate()
    /// (m_b - 1)/r_b in each radius's coordinate (0 in a's, and where r_b = 0),
    /// at the DG operator's evaluation points.
    std::vector<Tensor<1, dim>> radial_drift_at_points;

    SspRungeKutta3 integrator;
    /// With implicit noise: its operator (built on the current mesh at the
    /// first step after setup_discretisation()) and the IMEX integrator.
    std::unique_ptr<NoiseOperator<dim>> noise_operator;
    ImexRungeKutta2                     imex_integrator;

    /// Wall time per part of the solver (PDE/Print timing prints it after run()).
    dealii::ConditionalOStream  timer_stream;
    mutable dealii::TimerOutput timer;

    double       current_time = 0.;
    Outflow      outflow;
    double       last_dt      = 0.;
    /// With implicit noise and the CFL step: the constant dt of the steps up
    /// to imex_t_end (advance), 0 before the first.
    double       imex_dt = 0., imex_t_end = 0.;
    unsigned int step_count   = 0;
    /// PDE/Noise time stepping = automatic: -1 undecided, else implicit (1) or not.
    int          automatic_implicit_noise = -1;
    unsigned int last_adaptation_step = 0;
  };
} // namespace mfdd::pde

namespace mfdd::pde
{
  /**
   * Solves the problem's reduced dynamics with the nonlocal potential of its
   * kernels, in the problem's reduced dimension: builds the mesh and the
   * initial density (InputError for bad input, before anything is written),
   * then calls @p before_output (e.g. to create the output folder) and runs.
   * With PDE/Risk error estimate, two companion solves on the mesh coarsened
   * once run first (no files) and every snapshot carries the estimated error
   * of its risk (RiskErrorEstimator). What the `pde` command and the
   * comparison layer call.
   */
  model::ReducedLawTrajectory
  solve(const model::Problem &problem, const SolverParameters &parameters, const io::OutputParameters &output,
        bool write_files, const std::function<void()> &before_output = {}, MPI_Comm communicator = MPI_COMM_WORLD);

  /**
   * PDE/Noise time stepping as solve() steps the noise with @p parameters:
   * automatic is decided once, by the risk error estimate's coarse companion
   * (Solver::implicit_noise() at t = 0) when there is one, so that a solve,
   * its companion and `mfdd gibbs` use the same scheme; otherwise (and
   * without noise) it stays as given and each solver decides on its own mesh.
   */
  template <int dim>
  std::string
  noise_time_stepping_of_solve(const model::Problem &problem, const SolverParameters &parameters,
                               const std::shared_ptr<NonlocalPotential<dim>> &potential, MPI_Comm communicator);
} // namespace mfdd::pde
