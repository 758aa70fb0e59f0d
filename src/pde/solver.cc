#include <mfdd/io/expression.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/dofs/dof_accessor.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/solution_transfer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    std::vector<unsigned int>
    parse_count_list(const std::string &text, const std::string &parameter)
    {
      std::vector<unsigned int> counts;
      for (const double x : io::parse_double_list(text, parameter))
        {
          io::require(x >= 1. && x == std::floor(x), parameter, "entries must be positive integers");
          counts.push_back(static_cast<unsigned int>(x));
        }
      return counts;
    }

    std::string
    variable_names(const model::ReducedSetting &setting)
    {
      std::string names;
      for (const auto &name : setting.coordinate_names())
        names += (names.empty() ? "" : ",") + name;
      return names;
    }

    /// The problem's initial law of z as a Function.
    template <int dim>
    class BuiltInDensity : public Function<dim>
    {
    public:
      explicit BuiltInDensity(const model::ReducedSetting &setting)
        : setting(setting)
      {}
      double
      value(const Point<dim> &z, unsigned int = 0) const override
      {
        double coordinates[dim];
        for (unsigned int k = 0; k < dim; ++k)
          coordinates[k] = z[k];
        return setting.initial_density(coordinates);
      }

    private:
      const model::ReducedSetting &setting;
    };

    /// Sum over the owned cells and Gauss points (degree + 4 per direction,
    /// exact for the DG polynomial times smooth data) of integrand(x, rho_h(x))
    /// JxW, summed over the ranks.
    template <int dim, class VectorType, class Integrand>
    double
    integrate_over_cells(const DoFHandler<dim> &dof_handler,
                         const VectorType      &solution,
                         const unsigned int     degree,
                         const MPI_Comm         communicator,
                         const Integrand       &integrand)
    {
      const QGauss<dim>   quadrature(degree + 4);
      FEValues<dim>       fe_values(dof_handler.get_fe(), quadrature,
                              update_values | update_JxW_values | update_quadrature_points);
      std::vector<double> values(quadrature.size());
      double              total = 0.;
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fe_values.reinit(cell);
            fe_values.get_function_values(solution, values);
            for (unsigned int q = 0; q < quadrature.size(); ++q)
              total += integrand(fe_values.quadrature_point(q), values[q]) * fe_values.JxW(q);
          }
      return Utilities::MPI::sum(total, communicator);
    }

    /// u = (a v + b w) + c r on the locally owned entries, in one pass (a
    /// Runge-Kutta stage as a copy and two Trilinos updates took three).
    void
    combine(TrilinosWrappers::MPI::Vector       &u,
            const double                         a,
            const TrilinosWrappers::MPI::Vector &v,
            const double                         b,
            const TrilinosWrappers::MPI::Vector &w,
            const double                         c,
            const TrilinosWrappers::MPI::Vector &r)
    {
      const double *const x = v.begin(), *const y = w.begin(), *const z = r.begin();
      double *const       out = u.begin();
      const std::size_t   n   = u.end() - u.begin();
      for (std::size_t i = 0; i < n; ++i)
        out[i] = (a * x[i] + b * y[i]) + c * z[i];
    }

    /// The mesh: p4est's on @p communicator in 2D, serial in 1D.
    template <int dim>
    std::unique_ptr<Mesh<dim>>
    create_mesh(const MPI_Comm communicator)
    {
      if constexpr (dim == 1)
        return std::make_unique<Mesh<dim>>();
      else
        return std::make_unique<Mesh<dim>>(communicator);
    }

    /// A cell's polynomial at one point: sum_i coefficients[i] shape[i], with
    /// shape one row (n_dofs values) of a shape table.
    inline double
    polynomial_value(const double *coefficients, const double *shape, const unsigned int n_dofs)
    {
      double value = 0.;
      for (unsigned int i = 0; i < n_dofs; ++i)
        value += coefficients[i] * shape[i];
      return value;
    }

    /// The smallest value of a cell's polynomial at the points of a shape table ([p][i]).
    inline double
    minimum_value(const double *coefficients, const std::vector<double> &shape_at_points, const unsigned int n_dofs)
    {
      double minimum = std::numeric_limits<double>::max();
      for (std::size_t p = 0; p < shape_at_points.size(); p += n_dofs)
        minimum = std::min(minimum, polynomial_value(coefficients, &shape_at_points[p], n_dofs));
      return minimum;
    }
  } // namespace

  void
  SolverParameters::declare_parameters(ParameterHandler &prm)
  {
    using namespace Patterns;
    prm.enter_subsection("PDE");
    prm.declare_entry("Degree", "2", Integer(1, 5), "Polynomial degree k of the FE_DGQ elements (1 to 5).");
    prm.declare_entry("CFL number", "0.15", Double(0.),
                      "dt = CFL min_K h_K / max_K |velocity|_1; must be > 0. Positivity of the cell means "
                      "(Zhang-Shu) holds for CFL <= 1/2 (k = 1), 1/6 (k = 2, 3), 1/12 (k = 4, 5).");
    prm.declare_entry("Time step", "0", Double(0.),
                      "Fixed time step (the last step before an output time is shortened); 0: from the CFL number.");
    prm.declare_entry("Box lower", "", Anything(),
                      "Lower corner of the generated box, one number per reduced coordinate (a, r; r1, r2); "
                      "empty: a_lower - (a_upper - a_lower)/2 for a; 0 for radii, or with noise (tau > 0) half "
                      "the radius below which the initial law has mass 1e-12 if that is more than one cell "
                      "(the noise's drift (m - 1) nu / r would force tiny time steps near r = 0, where a "
                      "high-dimensional block has no mass).");
    prm.declare_entry("Box upper", "", Anything(),
                      "Upper corner of the generated box; empty: 2.5 times the radius beyond which the "
                      "initial law has mass 1e-12, a_upper + (a_upper - a_lower)/2 for a.");
    prm.declare_entry("Subdivisions", "", Anything(),
                      "Cells of the generated box per coordinate (one number, or one per coordinate); "
                      "empty: 200 in 1D, 48 per coordinate in 2D.");
    prm.declare_entry("Global refinements", "0", Integer(0, 10),
                      "Uniform refinements of the box or of the mesh file's mesh.");
    prm.declare_entry("Mesh file", "", Anything(),
                      "A Gmsh (.msh) mesh of the reduced coordinates (2D); relative paths are relative to the "
                      "parameter file's folder. Empty: the generated box.");
    prm.declare_entry("Initial density", "built in", Anything(),
                      "'built in' (the law of z under Problem's initial law) or a muparser expression in the "
                      "reduced coordinates (r; a,r; r1,r2), non-negative, normalised to mass 1 on the mesh.");
    prm.declare_entry("Potential nodes", "96", Integer(4, 400),
                      "Chebyshev-Lobatto nodes per radius on which V and U are interpolated (the amplitude a "
                      "needs 2, exactly).");
    prm.declare_entry("Sample cells", "", Anything(),
                      "Cells per coordinate of the uniform grid on which the density is handed to the "
                      "comparison layer and written to pde_final.csv; empty: 10000 (1D), 400 (2D).");
    prm.enter_subsection("Adaptive mesh");
    prm.declare_entry("Interval", "0", Integer(0),
                      "Time steps between two adaptations of the mesh to the density (refinement and "
                      "coarsening; rho is moved by SolutionTransfer, keeping its mass to round-off); "
                      "0: the mesh stays fixed. The initial density is also adapted to, before the first step.");
    prm.declare_entry("Indicator", "jumps", Selection("jumps|mass"),
                      "What decides where to refine. 'jumps': h_K times the integral over the faces of K of "
                      "|rho_K - rho_neighbour| (the exterior value is 0 on the boundary); for DG the jumps are "
                      "of the size of the error, so this estimates the L1 error of rho on K. 'mass': int_K rho "
                      "(fine cells where the mass is).");
    prm.declare_entry("Refine fraction", "0.99", Double(0., 1.),
                      "Bulk marking: the cells below Maximum level with the largest indicators are refined until "
                      "the refined cells and those already at Maximum level carry this fraction of the total "
                      "indicator (so the coarser cells carry at most 1 - this fraction).");
    prm.declare_entry("Coarsen fraction", "0.001", Double(0., 1.),
                      "The cells with the smallest indicators whose sum is at most this fraction of the total are "
                      "coarsened (where all siblings are; never below Minimum level). Refine fraction + Coarsen "
                      "fraction must be <= 1.");
    prm.declare_entry("Minimum level", "0", Integer(0, 20),
                      "No cell is coarser than this level (level 0: the cells of the box or mesh file, level g "
                      "after Global refinements = g).");
    prm.declare_entry("Maximum level", "2", Integer(0, 20),
                      "No cell is finer than this level. The CFL time step is set by the smallest h_K / |velocity| "
                      "over the cells, so the finest level usually sets it.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void
  SolverParameters::parse_parameters(ParameterHandler &prm, unsigned int dim)
  {
    prm.enter_subsection("PDE");
    degree             = prm.get_integer("Degree");
    cfl                = prm.get_double("CFL number");
    time_step          = prm.get_double("Time step");
    box_lower          = io::parse_double_list(prm.get("Box lower"), "PDE/Box lower");
    box_upper          = io::parse_double_list(prm.get("Box upper"), "PDE/Box upper");
    subdivisions       = parse_count_list(prm.get("Subdivisions"), "PDE/Subdivisions");
    global_refinements = prm.get_integer("Global refinements");
    mesh_file          = prm.get("Mesh file");
    initial_density    = prm.get("Initial density");
    potential_nodes    = prm.get_integer("Potential nodes");
    sample_cells       = parse_count_list(prm.get("Sample cells"), "PDE/Sample cells");
    prm.enter_subsection("Adaptive mesh");
    adaptivity.interval         = prm.get_integer("Interval");
    adaptivity.indicator        = prm.get("Indicator");
    adaptivity.refine_fraction  = prm.get_double("Refine fraction");
    adaptivity.coarsen_fraction = prm.get_double("Coarsen fraction");
    adaptivity.minimum_level    = prm.get_integer("Minimum level");
    adaptivity.maximum_level    = prm.get_integer("Maximum level");
    prm.leave_subsection();
    prm.leave_subsection();

    if (adaptivity.enabled())
      {
        io::require(adaptivity.minimum_level <= adaptivity.maximum_level, "PDE/Adaptive mesh/Minimum level",
                    "must not exceed Maximum level");
        io::require(global_refinements <= adaptivity.maximum_level, "PDE/Adaptive mesh/Maximum level",
                    "must be at least PDE/Global refinements (the initial mesh is at that level)");
        io::require(adaptivity.refine_fraction + adaptivity.coarsen_fraction <= 1., "PDE/Adaptive mesh/Refine fraction",
                    "Refine fraction + Coarsen fraction must be <= 1");
      }

    io::require(cfl > 0., "PDE/CFL number", "must be positive");
    io::require(box_lower.size() == box_upper.size(), "PDE/Box lower",
                "Box lower and Box upper must both be empty or both have one entry per coordinate");
    io::require(box_lower.empty() || box_lower.size() == dim, "PDE/Box lower",
                "needs " + std::to_string(dim) + " entries (one per reduced coordinate)");
    for (unsigned int k = 0; k < box_lower.size(); ++k)
      io::require(box_lower[k] < box_upper[k], "PDE/Box upper", "must exceed Box lower in every coordinate");
    io::require(subdivisions.size() <= 1 || subdivisions.size() == dim, "PDE/Subdivisions",
                "needs one entry or one per coordinate");
    if (subdivisions.size() == 1)
      subdivisions.assign(dim, subdivisions[0]);
    io::require(sample_cells.size() <= 1 || sample_cells.size() == dim, "PDE/Sample cells",
                "needs one entry or one per coordinate");
    if (sample_cells.size() == 1)
      sample_cells.assign(dim, sample_cells[0]);
  }

  // ------------------------------------------------------------------ Solver
  template <int dim>
  Solver<dim>::Solver(const model::Problem &problem, const SolverParameters &parameters,
                      std::shared_ptr<Potential<dim>> potential, MPI_Comm communicator)
    : problem(problem)
    , parameters(parameters)
    , potential(std::move(potential))
    , mesh_communicator(dim == 1 ? MPI_COMM_SELF : communicator)
    , n_ranks(Utilities::MPI::n_mpi_processes(mesh_communicator))
    , rank(Utilities::MPI::this_mpi_process(mesh_communicator))
    , writes_files(Utilities::MPI::this_mpi_process(communicator) == 0)
    , triangulation(create_mesh<dim>(mesh_communicator))
    , fe(parameters.degree)
    , dof_handler(*triangulation)
  {
    if (this->parameters.subdivisions.empty())
      this->parameters.subdivisions.assign(dim, dim == 1 ? 200 : 48);
    if (this->parameters.sample_cells.empty())
      this->parameters.sample_cells.assign(dim, dim == 1 ? 10000 : 400);
  }

  template <int dim>
  void
  Solver<dim>::make_mesh()
  {
    triangulation->clear();
    if (!parameters.mesh_file.empty())
      {
        std::ifstream in(parameters.mesh_file);
        io::require(bool(in), "PDE/Mesh file", "cannot open '" + parameters.mesh_file + "'");
        GridIn<dim> grid_in(*triangulation);
        try
          {
            grid_in.read_msh(in);
          }
        catch (const std::exception &error)
          {
            throw io::InputError("PDE/Mesh file: cannot read '" + parameters.mesh_file + "' as a Gmsh mesh of dimension " +
                                 std::to_string(dim));
          }
      }
    else
      {
        std::vector<double> lower = parameters.box_lower, upper = parameters.box_upper;
        if (lower.empty())
          {
            const auto &setting          = problem.reduced_setting();
            const auto [low, high]       = setting.initial_support(1e-12);
            for (unsigned int k = 0; k < dim; ++k)
              if (setting.has_amplitude() && k == 0)
                {
                  const double width = high[0] - low[0];
                  lower.push_back(low[0] - 0.5 * width);
                  upper.push_back(high[0] + 0.5 * width);
                }
              else
                {
                  // With noise the drift (m_b - 1) nu / r_b near r_b = 0 would set tiny time
                  // steps where there is no mass: start at half the initial 1e-12 quantile
                  // unless that lies within the first cell (small m_b), where r_b = 0 is closed.
                  const double start = problem.temperature > 0. ? 0.5 * low[k] : 0.;
                  upper.push_back(2.5 * high[k]);
                  lower.push_back(start > (upper.back() - start) / parameters.subdivisions[k] ? start : 0.);
                }
          }
        Point<dim> p0, p1;
        for (unsigned int k = 0; k < dim; ++k)
          {
            p0[k] = lower[k];
            p1[k] = upper[k];
          }
        GridGenerator::subdivided_hyper_rectangle(*triangulation, parameters.subdivisions, p0, p1);
      }
    triangulation->refine_global(parameters.global_refinements);
    setup_discretisation();
  }

  template <int dim>
  void
  Solver<dim>::setup_discretisation()
  {
    dof_handler.distribute_dofs(fe);
    n_dofs_per_cell    = fe.n_dofs_per_cell();
    locally_owned_dofs = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, locally_relevant_dofs);
    solution.reinit(locally_owned_dofs, mesh_communicator);
    ghosted.reinit(locally_owned_dofs, locally_relevant_dofs, mesh_communicator);
    ghost_import = std::make_unique<Epetra_Import>(ghosted.trilinos_partitioner(), solution.trilinos_partitioner());

    // Reference tables: volume Gauss points and the Zhang-Shu limiter points.
    const QGauss<dim> quadrature(parameters.degree + 1);
    n_q_points = quadrature.size();
    shape_at_q.resize(n_q_points * n_dofs_per_cell);
    for (unsigned int q = 0; q < n_q_points; ++q)
      for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
        shape_at_q[q * n_dofs_per_cell + i] = fe.shape_value(i, quadrature.point(q));
    // Limiter points: the volume Gauss points, and in each direction the
    // Gauss-Lobatto points times the face's Gauss points. On an adaptive 2D
    // mesh the fluxes through a hanging face are taken at the Gauss points of
    // its halves: those are added (the composite Gauss rule is as exact, so
    // the Zhang-Shu argument, hence the CFL bound, is unchanged).
    std::vector<Point<dim>> limiter_points = quadrature.get_points();
    {
      const QGauss<1>        gauss(parameters.degree + 1);
      const QGaussLobatto<1> lobatto(std::max(2u, (parameters.degree + 4) / 2));
      std::vector<double>    tangential = {0.5};
      if (dim == 2)
        {
          tangential.clear();
          for (const auto &p : gauss.get_points())
            tangential.push_back(p[0]);
          if (parameters.adaptivity.enabled())
            for (const auto &p : gauss.get_points())
              {
                tangential.push_back(0.5 * p[0]);
                tangential.push_back(0.5 + 0.5 * p[0]);
              }
        }
      for (unsigned int direction = 0; direction < dim; ++direction)
        for (unsigned int i = 0; i < lobatto.size(); ++i)
          for (const double t : tangential)
            {
              Point<dim> p;
              p[direction] = lobatto.point(i)[0];
              if (dim == 2)
                p[1 - direction] = t;
              limiter_points.push_back(p);
            }
    }
    shape_at_limiter.clear();
    for (const auto &p : limiter_points)
      for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
        shape_at_limiter.push_back(fe.shape_value(i, p));
    // The children of an isotropically refined cell are the reference cell
    // scaled by 1/2 towards each vertex.
    shape_at_child_limiter.clear();
    for (const unsigned int v : GeometryInfo<dim>::vertex_indices())
      for (const auto &p : limiter_points)
        {
          const Point<dim> in_parent = 0.5 * (p + GeometryInfo<dim>::unit_cell_vertex(v));
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            shape_at_child_limiter.push_back(fe.shape_value(i, in_parent));
        }

    number_cells();
    build_cell_tables();
    // psi is evaluated where this rank needs it: at its cells' quadrature
    // points, then on the faces of its cells.
    std::vector<Point<dim>> evaluation_points = q_points;
    build_face_tables(evaluation_points);
    // Each cell's DG DoFs are consecutive; their place in the two vectors.
    owned_offset.resize(n_owned_cells);
    ghosted_offset.resize(cells.size());
    std::vector<types::global_dof_index> dof_indices(n_dofs_per_cell);
    for (unsigned int c = 0; c < cells.size(); ++c)
      {
        cells[c]->get_dof_indices(dof_indices);
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          AssertThrow(dof_indices[i] == dof_indices[0] + i, ExcMessage("DG DoFs of a cell are not consecutive"));
        ghosted_offset[c] = locally_relevant_dofs.index_within_set(dof_indices[0]);
        if (c < n_owned_cells)
          owned_offset[c] = locally_owned_dofs.index_within_set(dof_indices[0]);
      }

    std::vector<double> owned_points, points;
    for (const auto &p : q_points)
      for (unsigned int k = 0; k < dim; ++k)
        owned_points.push_back(p[k]);
    gather_cells(std::move(owned_points), n_q_points * dim, points);
    all_q_points.resize(points.size() / dim);
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      for (unsigned int k = 0; k < dim; ++k)
        all_q_points[p][k] = points[p * dim + k];
    potential->reinit(bounding_box(), all_q_points, evaluation_points);
    cell_values.resize(cells.size() * n_dofs_per_cell);
    density_weights.resize(all_q_points.size());
    face_flux.resize(faces.size() * QGauss<dim - 1>(parameters.degree + 1).size());
    face_symmetry.resize(face_flux.size());

    const auto &setting = problem.reduced_setting();
    radial_drift_at_points.assign(evaluation_points.size(), Tensor<1, dim>());
    for (unsigned int p = 0; p < evaluation_points.size(); ++p)
      for (unsigned int b = 0; b < setting.n_blocks(); ++b)
        {
          const unsigned int k = setting.first_radius() + b;
          if (evaluation_points[p][k] > 0.)
            radial_drift_at_points[p][k] = (problem.data.blocks()[b].size - 1.) / evaluation_points[p][k];
        }
  }

  template <int dim>
  void
  Solver<dim>::number_cells()
  {
    std::vector<std::pair<CellId, active_cell_iterator>> owned;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        owned.emplace_back(cell->id(), cell);
    std::sort(owned.begin(), owned.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    n_owned_cells = owned.size();
    cells.clear();
    slot_of_index.assign(triangulation->n_active_cells(), numbers::invalid_unsigned_int);
    std::vector<CellId> ids;
    for (const auto &[id, cell] : owned)
      {
        slot_of_index[cell->active_cell_index()] = cells.size();
        cells.push_back(cell);
        ids.push_back(id);
      }
    order = global_cell_order(ids);
  }

  template <int dim>
  typename Solver<dim>::GlobalCellOrder
  Solver<dim>::global_cell_order(const std::vector<CellId> &owned_ids) const
  {
    GlobalCellOrder result;
    result.counts = Utilities::MPI::all_gather(mesh_communicator, int(owned_ids.size()));
    result.offsets.assign(n_ranks, 0);
    for (unsigned int r = 1; r < n_ranks; ++r)
      result.offsets[r] = result.offsets[r - 1] + result.counts[r - 1];
    const unsigned int n_total = result.offsets.back() + result.counts.back();
    result.position.resize(n_total);
    std::iota(result.position.begin(), result.position.end(), 0u);
    if (n_ranks > 1)
      {
        // All ranks' CellIds, in rank order, sorted.
        const unsigned int        id_size = std::tuple_size<CellId::binary_type>::value;
        std::vector<unsigned int> owned_binary, all_binary(n_total * id_size);
        for (const auto &id : owned_ids)
          for (const unsigned int x : id.template to_binary<dim>())
            owned_binary.push_back(x);
        std::vector<int> counts, offsets;
        for (unsigned int r = 0; r < n_ranks; ++r)
          {
            counts.push_back(result.counts[r] * id_size);
            offsets.push_back(result.offsets[r] * id_size);
          }
        MPI_Allgatherv(owned_binary.data(), owned_binary.size(), MPI_UNSIGNED, all_binary.data(), counts.data(),
                       offsets.data(), MPI_UNSIGNED, mesh_communicator);
        std::vector<CellId> ids;
        for (unsigned int j = 0; j < n_total; ++j)
          {
            CellId::binary_type binary;
            std::copy_n(&all_binary[j * id_size], id_size, binary.begin());
            ids.emplace_back(binary);
          }
        std::vector<unsigned int> sorted(n_total);
        std::iota(sorted.begin(), sorted.end(), 0u);
        std::sort(sorted.begin(), sorted.end(), [&](unsigned int i, unsigned int j) { return ids[i] < ids[j]; });
        for (unsigned int k = 0; k < n_total; ++k)
          result.position[sorted[k]] = k;
      }
    for (unsigned int c = 0; c < owned_ids.size(); ++c)
      result.owned_position.push_back(result.position[result.offsets[rank] + c]);
    return result;
  }

  template <int dim>
  unsigned int
  Solver<dim>::slot_of(const active_cell_iterator &cell)
  {
    unsigned int &slot = slot_of_index[cell->active_cell_index()];
    if (slot == numbers::invalid_unsigned_int)
      {
        slot = cells.size();
        cells.push_back(cell);
      }
    return slot;
  }

  template <int dim>
  void
  Solver<dim>::gather_cells(std::vector<double> owned, const unsigned int n_per_cell, std::vector<double> &global) const
  {
    if (n_ranks == 1) // the slots are in the global order
      {
        global = std::move(owned);
        return;
      }
    global.resize(order.position.size() * n_per_cell);
    std::vector<int> counts, offsets;
    for (unsigned int r = 0; r < n_ranks; ++r)
      {
        counts.push_back(order.counts[r] * n_per_cell);
        offsets.push_back(order.offsets[r] * n_per_cell);
      }
    std::vector<double> gathered(global.size());
    MPI_Allgatherv(owned.data(), owned.size(), MPI_DOUBLE, gathered.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                   mesh_communicator);
    for (unsigned int j = 0; j < order.position.size(); ++j)
      std::copy_n(&gathered[j * n_per_cell], n_per_cell, &global[order.position[j] * n_per_cell]);
  }

  template <int dim>
  BoundingBox<dim>
  Solver<dim>::bounding_box() const
  {
    Point<dim> lower, upper;
    for (unsigned int k = 0; k < dim; ++k)
      {
        double low = std::numeric_limits<double>::max(), high = -low;
        for (unsigned int c = 0; c < n_owned_cells; ++c)
          for (const unsigned int v : cells[c]->vertex_indices())
            {
              low  = std::min(low, cells[c]->vertex(v)[k]);
              high = std::max(high, cells[c]->vertex(v)[k]);
            }
        lower[k] = Utilities::MPI::min(low, mesh_communicator);
        upper[k] = Utilities::MPI::max(high, mesh_communicator);
      }
    return BoundingBox<dim>(std::make_pair(lower, upper));
  }

  template <int dim>
  void
  Solver<dim>::build_cell_tables()
  {
    const QGauss<dim>           quadrature(parameters.degree + 1);
    std::vector<Tensor<1, dim>> reference_gradients; // [q][i]
    for (unsigned int q = 0; q < n_q_points; ++q)
      for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
        reference_gradients.push_back(fe.shape_grad(i, quadrature.point(q)));
    const unsigned int n_c = n_owned_cells;
    JxW.resize(n_c * n_q_points);
    q_points.resize(n_c * n_q_points);
    grad_shape_JxW.resize(n_c * n_q_points * n_dofs_per_cell * dim);
    inverse_mass.resize(n_c * n_dofs_per_cell * n_dofs_per_cell);
    cell_volume.resize(n_c);
    cell_size.resize(n_c);
    FullMatrix<double> mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
    for (unsigned int c = 0; c < n_c; ++c)
      {
        mass_matrix    = 0.;
        cell_volume[c] = 0.;
        for (unsigned int q = 0; q < n_q_points; ++q)
          {
            // The Q1 map of the cell, evaluated here: a reused FEValues copies
            // the Jacobians of the previous cell if this one is a translation
            // of it up to round-off, and which cell comes before depends on
            // the partition.
            const Point<dim> &unit = quadrature.point(q);
            Point<dim>        z;
            Tensor<2, dim>    jacobian;
            for (const unsigned int v : GeometryInfo<dim>::vertex_indices())
              {
                z += GeometryInfo<dim>::d_linear_shape_function(unit, v) * cells[c]->vertex(v);
                jacobian += outer_product(cells[c]->vertex(v), GeometryInfo<dim>::d_linear_shape_function_gradient(unit, v));
              }
            const double         jxw               = std::abs(determinant(jacobian)) * quadrature.weight(q);
            const Tensor<2, dim> inverse_transpose = transpose(invert(jacobian));
            JxW[c * n_q_points + q]      = jxw;
            q_points[c * n_q_points + q] = z;
            cell_volume[c] += jxw;
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              {
                const Tensor<1, dim> gradient = inverse_transpose * reference_gradients[q * n_dofs_per_cell + i];
                for (unsigned int d = 0; d < dim; ++d)
                  grad_shape_JxW[((c * n_q_points + q) * n_dofs_per_cell + i) * dim + d] = gradient[d] * jxw;
                for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
                  mass_matrix(i, j) +=
                    shape_at_q[q * n_dofs_per_cell + i] * shape_at_q[q * n_dofs_per_cell + j] * jxw;
              }
          }
        mass_matrix.gauss_jordan();
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
            inverse_mass[(c * n_dofs_per_cell + i) * n_dofs_per_cell + j] = mass_matrix(i, j);
        cell_size[c] = cells[c]->minimum_vertex_distance();
      }
  }

  template <int dim>
  void
  Solver<dim>::build_face_tables(std::vector<Point<dim>> &evaluation_points)
  {
    // Every face of an owned cell once, from its minus side (see FaceData); a
    // face with a hanging node is integrated on each subface against the fine
    // neighbour. Each cell lists its faces in its own face order, so that its
    // residual adds them in the same order on any number of ranks.
    faces.clear();
    cell_faces.assign(n_owned_cells, {});
    const QGauss<dim - 1> face_quadrature(parameters.degree + 1);
    const bool            noisy = problem.temperature > 0.;
    const UpdateFlags     gradients = noisy ? update_gradients : update_default;
    const UpdateFlags     minus_flags =
      update_values | update_JxW_values | update_normal_vectors | update_quadrature_points | gradients;
    FEFaceValues<dim>    face_minus(fe, face_quadrature, minus_flags);
    FESubfaceValues<dim> subface_minus(fe, face_quadrature, minus_flags);
    FEFaceValues<dim>    face_plus(fe, face_quadrature, update_values | update_quadrature_points | gradients);
    const auto          &setting = problem.reduced_setting();
    const unsigned int    none = numbers::invalid_unsigned_int;
    struct Side
    {
      active_cell_iterator cell;
      unsigned int         face, subface;
    };
    const auto make_face = [&](const Side &minus, const Side *plus) {
      FEFaceValuesBase<dim> *values = &face_minus;
      if (minus.subface == none)
        face_minus.reinit(minus.cell, minus.face);
      else
        {
          subface_minus.reinit(minus.cell, minus.face, minus.subface);
          values = &subface_minus;
        }
      FaceData           face;
      const unsigned int nq = face_quadrature.size();
      face.cell_minus       = slot_of(minus.cell);
      face.cell_plus        = plus ? slot_of(plus->cell) : none;
      face.first_point      = evaluation_points.size();
      face.shape_minus.resize(nq * n_dofs_per_cell);
      for (unsigned int q = 0; q < nq; ++q)
        {
          face.JxW.push_back(values->JxW(q));
          face.normal.push_back(values->normal_vector(q));
          evaluation_points.push_back(values->quadrature_point(q));
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            face.shape_minus[q * n_dofs_per_cell + i] = values->shape_value(i, q);
          if (noisy)
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              face.normal_derivative_minus.push_back(values->shape_grad(i, q) * face.normal[q]);
        }
      if (noisy)
        {
          const double h = std::min(minus.cell->minimum_vertex_distance(),
                                    plus ? plus->cell->minimum_vertex_distance() : minus.cell->minimum_vertex_distance());
          face.penalty = (parameters.degree + 1.) * (parameters.degree + 1.) / h;
          for (unsigned int b = 0; b < setting.n_blocks() && !plus; ++b)
            {
              const unsigned int k = setting.first_radius() + b;
              face.closed = face.closed ||
                            (face.normal[0][k] < -0.5 && std::abs(values->quadrature_point(0)[k]) <= 1e-12 * h);
            }
        }
      if (plus)
        {
          face_plus.reinit(plus->cell, plus->face);
          face.shape_plus.resize(nq * n_dofs_per_cell);
          for (unsigned int q = 0; q < nq; ++q)
            {
              // The neighbour's face points in the same physical order.
              const Point<dim> &z     = values->quadrature_point(q);
              unsigned int      match = 0;
              for (unsigned int p = 1; p < nq; ++p)
                if (face_plus.quadrature_point(p).distance(z) < face_plus.quadrature_point(match).distance(z))
                  match = p;
              AssertThrow(face_plus.quadrature_point(match).distance(z) < 1e-10 * minus.cell->minimum_vertex_distance(),
                          ExcMessage("face quadrature points do not match"));
              for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                face.shape_plus[q * n_dofs_per_cell + i] = face_plus.shape_value(i, match);
              if (noisy)
                for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                  face.normal_derivative_plus.push_back(face_plus.shape_grad(i, match) * face.normal[q]);
            }
        }
      faces.push_back(std::move(face));
    };

    std::map<std::array<unsigned int, 3>, unsigned int> face_of_minus_side; // (slot, face, subface) -> face
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const active_cell_iterator cell = cells[c];
        for (const unsigned int f : cell->face_indices())
          {
            // The (minus, plus) sides of the face (several subfaces if the neighbour is finer).
            std::vector<std::pair<Side, Side>> sides;
            if (cell->at_boundary(f))
              sides.push_back({{cell, f, none}, {cell, none, none}});
            else
              {
                const auto neighbor = cell->neighbor(f); // same level or coarser
                if (neighbor->level() < cell->level())
                  {
                    // The coarse side is the minus side (in 1D the face is a point).
                    const auto [face, subface] =
                      dim == 1 ? std::make_pair(1 - f, none) : cell->neighbor_of_coarser_neighbor(f);
                    sides.push_back({{neighbor, face, subface}, {cell, f, none}});
                  }
                else if (neighbor->is_active())
                  {
                    const Side here{cell, f, none}, there{neighbor, cell->neighbor_of_neighbor(f), none};
                    if (cell->id() < neighbor->id())
                      sides.push_back({here, there});
                    else
                      sides.push_back({there, here});
                  }
                else if (dim == 1)
                  {
                    // The finest cell of the neighbour touching the point.
                    auto fine = neighbor;
                    while (fine->has_children())
                      fine = fine->child(1 - f);
                    sides.push_back({{cell, f, none}, {fine, 1 - f, none}});
                  }
                else
                  for (unsigned int sub = 0; sub < cell->face(f)->n_children(); ++sub)
                    {
                      const active_cell_iterator fine = cell->neighbor_child_on_subface(f, sub);
                      sides.push_back({{cell, f, sub}, {fine, cell->neighbor_of_neighbor(f), none}});
                    }
              }
            for (const auto &[minus, plus] : sides)
              {
                const bool boundary = plus.face == none;
                const std::array<unsigned int, 3> key = {{slot_of(minus.cell), minus.face, minus.subface}};
                const auto [entry, inserted]          = face_of_minus_side.emplace(key, faces.size());
                if (inserted)
                  make_face(minus, boundary ? nullptr : &plus);
                cell_faces[c].emplace_back(entry->second, minus.cell == cell);
              }
          }
      }
  }

  template <int dim>
  void
  Solver<dim>::read_cell_values(const VectorType &u)
  {
    // On one rank u holds every cell; else the ghost values are imported
    // (with an Epetra_Import kept from the set-up: deal.II's assignment
    // builds a new one each time).
    const double *values = u.begin();
    if (n_ranks > 1)
      {
        ghosted.trilinos_vector().Import(u.trilinos_vector(), *ghost_import, Insert);
        values = ghosted.trilinos_vector()[0];
      }
    for (unsigned int c = 0; c < cells.size(); ++c)
      std::copy_n(values + ghosted_offset[c], n_dofs_per_cell, &cell_values[c * n_dofs_per_cell]);
  }

  template <int dim>
  std::vector<double>
  Solver<dim>::owned_density_weights(const VectorType &u, std::vector<double> *rho) const
  {
    std::vector<double> weights(n_owned_cells * n_q_points);
    if (rho)
      rho->resize(weights.size());
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      for (unsigned int q = 0; q < n_q_points; ++q)
        {
          const double value =
            polynomial_value(owned_coefficients(u, c), &shape_at_q[q * n_dofs_per_cell], n_dofs_per_cell);
          weights[c * n_q_points + q] = value * JxW[c * n_q_points + q];
          if (rho)
            (*rho)[c * n_q_points + q] = value;
        }
    return weights;
  }

  template <int dim>
  double
  Solver<dim>::compute_rate(const VectorType &u, double t, VectorType &rate)
  {
    gather_cells(owned_density_weights(u, &rho_at_q), n_q_points, density_weights);
    potential->update(density_weights);
    potential->evaluate(psi_at_points, grad_psi_at_points);
    read_cell_values(u);
    const double velocity_factor = -2. * problem.xi(t) / problem.alpha;
    const double nu              = noise_coefficient(t);

    // Fluxes out of the minus side on every face of an owned cell: upwind
    // b.n rho_upwind JxW, and with noise minus the SIPG diffusive flux
    // nu ({d_n rho} - penalty [rho]) JxW (at the boundary rho outside = 0).
    double             outflow_rate = 0.;
    const unsigned int nq_face      = faces.empty() ? 0 : faces[0].JxW.size();
    for (unsigned int f = 0; f < faces.size(); ++f)
      {
        const FaceData &face     = faces[f];
        const bool      boundary = face.cell_plus == numbers::invalid_unsigned_int;
        const double   *u_minus  = &cell_values[face.cell_minus * n_dofs_per_cell];
        const double   *u_plus   = boundary ? nullptr : &cell_values[face.cell_plus * n_dofs_per_cell];
        for (unsigned int q = 0; q < nq_face; ++q)
          {
            double &flux = face_flux[f * nq_face + q];
            face_symmetry[f * nq_face + q] = 0.;
            if (face.closed)
              {
                flux = 0.;
                continue;
              }
            // Without noise only the upwind side is needed (no inflow through the boundary).
            const double bn        = velocity(face.first_point + q, velocity_factor, nu) * face.normal[q];
            const double rho_minus = bn > 0. || nu > 0. ?
                                       polynomial_value(u_minus, &face.shape_minus[q * n_dofs_per_cell], n_dofs_per_cell) :
                                       0.;
            const double rho_plus = !boundary && (bn <= 0. || nu > 0.) ?
                                      polynomial_value(u_plus, &face.shape_plus[q * n_dofs_per_cell], n_dofs_per_cell) :
                                      0.;
            flux = bn * (bn > 0. ? rho_minus : rho_plus) * face.JxW[q];
            if (nu > 0.)
              {
                double dn_rho = polynomial_value(u_minus, &face.normal_derivative_minus[q * n_dofs_per_cell], n_dofs_per_cell);
                if (!boundary)
                  dn_rho = 0.5 * (dn_rho + polynomial_value(u_plus, &face.normal_derivative_plus[q * n_dofs_per_cell],
                                                            n_dofs_per_cell));
                const double jump = rho_minus - rho_plus;
                flux -= nu * (dn_rho - face.penalty * jump) * face.JxW[q];
                face_symmetry[f * nq_face + q] = (boundary ? 1. : 0.5) * nu * jump * face.JxW[q];
              }
            if (boundary)
              outflow_rate += flux;
          }
      }

    std::vector<double>         residual(n_dofs_per_cell);
    std::vector<Tensor<1, dim>> grad_rho(nu > 0. ? n_q_points : 0);
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        std::fill(residual.begin(), residual.end(), 0.);
        if (nu > 0.)
          {
            // -nu int grad rho . grad phi_i
            const double *u_c = &cell_values[c * n_dofs_per_cell];
            for (unsigned int q = 0; q < n_q_points; ++q)
              {
                const double *grad = &grad_shape_JxW[(c * n_q_points + q) * n_dofs_per_cell * dim];
                grad_rho[q]        = Tensor<1, dim>();
                for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
                  for (unsigned int d = 0; d < dim; ++d)
                    grad_rho[q][d] += u_c[j] * grad[j * dim + d];
                grad_rho[q] *= -nu / JxW[c * n_q_points + q];
              }
          }
        for (unsigned int q = 0; q < n_q_points; ++q)
          {
            Tensor<1, dim> flux = rho_at_q[c * n_q_points + q] * velocity(c * n_q_points + q, velocity_factor, nu);
            if (nu > 0.)
              flux += grad_rho[q];
            const double *grad = &grad_shape_JxW[(c * n_q_points + q) * n_dofs_per_cell * dim];
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              for (unsigned int d = 0; d < dim; ++d)
                residual[i] += flux[d] * grad[i * dim + d];
          }
        for (const auto &[f, minus] : cell_faces[c])
          {
            const FaceData            &face  = faces[f];
            const std::vector<double> &shape = minus ? face.shape_minus : face.shape_plus;
            const double               sign  = minus ? -1. : 1.;
            for (unsigned int q = 0; q < nq_face; ++q)
              {
                const double flux = sign * face_flux[f * nq_face + q];
                for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                  residual[i] += flux * shape[q * n_dofs_per_cell + i];
              }
            if (nu > 0. && !face.closed)
              {
                // SIPG's symmetry term: nu [rho] {d_n phi_i} (both sides, normal of the minus side)
                const std::vector<double> &dn_shape = minus ? face.normal_derivative_minus : face.normal_derivative_plus;
                for (unsigned int q = 0; q < nq_face; ++q)
                  for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                    residual[i] += face_symmetry[f * nq_face + q] * dn_shape[q * n_dofs_per_cell + i];
              }
          }
        const double *minv  = &inverse_mass[c * n_dofs_per_cell * n_dofs_per_cell];
        double       *value = owned_coefficients(rate, c);
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          {
            value[i] = 0.;
            for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
              value[i] += minv[i * n_dofs_per_cell + j] * residual[j];
          }
      }
    return Utilities::MPI::sum(outflow_rate, mesh_communicator);
  }

  template <int dim>
  double
  Solver<dim>::cell_mass(const double *coefficients, const unsigned int c) const
  {
    double total = 0.;
    for (unsigned int q = 0; q < n_q_points; ++q)
      total += polynomial_value(coefficients, &shape_at_q[q * n_dofs_per_cell], n_dofs_per_cell) *
               JxW[c * n_q_points + q];
    return total;
  }

  template <int dim>
  double
  Solver<dim>::limit_cell(double *coefficients, const unsigned int c, const std::vector<double> &shape_at_points) const
  {
    const double mean    = cell_mass(coefficients, c) / cell_volume[c];
    const double minimum = std::min(mean, minimum_value(coefficients, shape_at_points, n_dofs_per_cell));
    if (minimum >= 0. || mean < 0.)
      return mean;
    // Scale towards the mean (partition of unity: coefficients are values).
    // The factor 1 - 1e-12 keeps round-off from leaving tiny negative values.
    const double theta = (1. - 1e-12) * mean / (mean - minimum);
    for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
      coefficients[i] = mean + theta * (coefficients[i] - mean);
    return mean;
  }

  template <int dim>
  void
  Solver<dim>::apply_limiter(VectorType &u) const
  {
    // With noise the diffusive flux can leave a negative mean in a cell of the
    // far tails (of size 1e-30, say); such a cell is set to 0 if its mass is
    // above -negligible_mass (it adds at most that much mass).
    constexpr double negligible_mass = 1e-20;
    double           lowest_mean     = 0.;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        double *coefficients = owned_coefficients(u, c);
        double  mean         = limit_cell(coefficients, c, shape_at_limiter);
        if (mean < 0. && mean * cell_volume[c] > -negligible_mass)
          {
            std::fill_n(coefficients, n_dofs_per_cell, 0.);
            mean = 0.;
          }
        lowest_mean = std::min(lowest_mean, mean);
      }
    lowest_mean = Utilities::MPI::min(lowest_mean, mesh_communicator);
    if (lowest_mean < 0.)
      {
        std::ostringstream message;
        message << "negative cell mean " << lowest_mean << " at t = " << current_time
                << " (CFL too large for positivity? reduce PDE/CFL number)";
        throw io::RunError(message.str());
      }
  }

  template <int dim>
  double
  Solver<dim>::project_density(const Function<dim> &density)
  {
    const QGauss<dim>  quadrature(parameters.degree + 4);
    FullMatrix<double> mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
    Vector<double>     rhs(n_dofs_per_cell), local(n_dofs_per_cell);
    double             mass_of_density = 0.;
    std::string        error;
    for (unsigned int c = 0; c < n_owned_cells && error.empty(); ++c)
      {
        // Fresh per cell: a reused FEValues copies the Jacobians of the
        // previous cell if this one is a translation of it up to round-off,
        // and which cell comes before depends on the partition.
        FEValues<dim> fe_values(fe, quadrature, update_values | update_JxW_values | update_quadrature_points);
        fe_values.reinit(cells[c]);
        mass_matrix = 0.;
        rhs         = 0.;
        for (unsigned int q = 0; q < quadrature.size(); ++q)
          {
            const double f = density.value(fe_values.quadrature_point(q));
            if (!(f >= 0.) || !std::isfinite(f))
              {
                std::ostringstream where;
                where << fe_values.quadrature_point(q);
                error = "PDE/Initial density: value " + std::to_string(f) + " at z = (" + where.str() +
                        ") is negative or not finite";
                break;
              }
            mass_of_density += f * fe_values.JxW(q);
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              {
                rhs(i) += f * fe_values.shape_value(i, q) * fe_values.JxW(q);
                for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
                  mass_matrix(i, j) += fe_values.shape_value(i, q) * fe_values.shape_value(j, q) * fe_values.JxW(q);
              }
          }
        mass_matrix.gauss_jordan();
        mass_matrix.vmult(local, rhs);
        std::copy(local.begin(), local.end(), owned_coefficients(solution, c));
      }
    // Every rank throws (the error of the lowest rank that found one).
    for (const auto &message : Utilities::MPI::all_gather(mesh_communicator, error))
      if (!message.empty())
        throw io::InputError(message);
    return Utilities::MPI::sum(mass_of_density, mesh_communicator);
  }

  template <int dim>
  void
  Solver<dim>::set_initial_density(const Function<dim> &density, bool check_containment)
  {
    double mass_of_density = project_density(density);
    // An adaptive mesh first adapts to the initial density (re-projected each
    // time, not transferred); each pass adds at most one level.
    if (parameters.adaptivity.enabled())
      for (unsigned int pass = 0; pass <= parameters.adaptivity.maximum_level && flag_cells_for_adaptation(); ++pass)
        {
          triangulation->execute_coarsening_and_refinement();
          setup_discretisation();
          mass_of_density = project_density(density);
        }
    io::require(mass_of_density > 0., "PDE/Initial density", "has no mass on the mesh");
    if (check_containment)
      io::require(mass_of_density >= 1. - 1e-10, "PDE/Box upper",
                  "the mesh holds only " + std::to_string(mass_of_density) +
                    " of the initial law's mass; enlarge the box or mesh");
    apply_limiter(solution);
    solution /= mass();
    current_time         = 0.;
    outflow              = 0.;
    step_count           = 0;
    last_adaptation_step = 0;
    outflow_warned       = false;
  }

  namespace
  {
    enum class Mark : char
    {
      keep,
      refine,
      coarsen
    };

    /// Bulk (Doerfler) marking that counts the cells already at the maximum
    /// level as marked: the largest indicators below it are refined until the
    /// marked cells carry the refine fraction of the total; then the smallest
    /// indicators above the minimum level, up to the coarsen fraction of the
    /// total, are coarsened. Cells below the minimum level are refined.
    std::vector<Mark>
    bulk_marking(const std::vector<double> &indicator, const std::vector<unsigned int> &level,
                 const AdaptivityParameters &adaptivity)
    {
      const unsigned int n_c   = indicator.size();
      const double       total = std::accumulate(indicator.begin(), indicator.end(), 0.);
      std::vector<Mark>  marks(n_c, Mark::keep);
      if (!(total > 0.))
        return marks;
      std::vector<unsigned int> order(n_c);
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](unsigned int i, unsigned int j) { return indicator[i] > indicator[j]; });
      double marked = 0.;
      for (unsigned int c = 0; c < n_c; ++c)
        if (level[c] >= adaptivity.maximum_level)
          marked += indicator[c];
      for (const unsigned int c : order)
        {
          if (marked >= adaptivity.refine_fraction * total)
            break;
          if (level[c] < adaptivity.maximum_level)
            {
              marks[c] = Mark::refine;
              marked += indicator[c];
            }
        }
      double coarsened = 0.;
      for (auto c = order.rbegin(); c != order.rend(); ++c)
        {
          coarsened += indicator[*c];
          if (coarsened > adaptivity.coarsen_fraction * total)
            break;
          if (marks[*c] != Mark::refine && level[*c] > adaptivity.minimum_level)
            marks[*c] = Mark::coarsen;
        }
      for (unsigned int c = 0; c < n_c; ++c)
        if (level[c] < adaptivity.minimum_level)
          marks[c] = Mark::refine;
      return marks;
    }
  } // namespace

  template <int dim>
  bool
  Solver<dim>::flag_cells_for_adaptation()
  {
    // (indicator, level) of the owned cells.
    std::vector<double> owned(2 * n_owned_cells, 0.);
    if (parameters.adaptivity.indicator == "mass")
      for (unsigned int c = 0; c < n_owned_cells; ++c)
        owned[2 * c] = std::max(0., cell_mass(owned_coefficients(solution, c), c));
    else
      {
        // h_K int_{dK} |[rho]|, the faces of K in its face order.
        read_cell_values(solution);
        std::vector<double> face_jump(faces.size(), 0.);
        for (unsigned int f = 0; f < faces.size(); ++f)
          for (unsigned int q = 0; q < faces[f].JxW.size(); ++q)
            {
              const FaceData &face = faces[f];
              double difference = polynomial_value(&cell_values[face.cell_minus * n_dofs_per_cell],
                                                   &face.shape_minus[q * n_dofs_per_cell], n_dofs_per_cell);
              if (face.cell_plus != numbers::invalid_unsigned_int)
                difference -= polynomial_value(&cell_values[face.cell_plus * n_dofs_per_cell],
                                               &face.shape_plus[q * n_dofs_per_cell], n_dofs_per_cell);
              face_jump[f] += std::abs(difference) * face.JxW[q];
            }
        for (unsigned int c = 0; c < n_owned_cells; ++c)
          {
            for (const auto &[f, minus] : cell_faces[c])
              owned[2 * c] += face_jump[f];
            owned[2 * c] *= cell_size[c];
          }
      }
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      owned[2 * c + 1] = cells[c]->level();

    // Every rank marks all cells identically, in the global cell order.
    std::vector<double> all;
    gather_cells(std::move(owned), 2, all);
    std::vector<double>       indicator(all.size() / 2);
    std::vector<unsigned int> level(all.size() / 2);
    for (unsigned int c = 0; c < indicator.size(); ++c)
      {
        indicator[c] = all[2 * c];
        level[c]     = static_cast<unsigned int>(all[2 * c + 1]);
      }
    const std::vector<Mark> marks = bulk_marking(indicator, level, parameters.adaptivity);
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const Mark mark = marks[order.owned_position[c]];
        if (mark == Mark::refine)
          cells[c]->set_refine_flag();
        else if (mark == Mark::coarsen)
          cells[c]->set_coarsen_flag();
      }
    triangulation->prepare_coarsening_and_refinement();
    unsigned int flagged = 0;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      flagged += cells[c]->refine_flag_set() || cells[c]->coarsen_flag_set();
    return Utilities::MPI::sum(flagged, mesh_communicator) > 0;
  }

  template <int dim>
  bool
  Solver<dim>::adapt_mesh()
  {
    if (!flag_cells_for_adaptation())
      return false;
    // Every cell is first limited at its would-be children's limiter points, so
    // that refined children are >= 0 at theirs (means >= 0). Every cell, not only
    // the flagged ones: p4est's balance refines more cells while executing, and
    // which ones are flagged beforehand depends on the partition.
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      limit_cell(owned_coefficients(solution, c), c, shape_at_child_limiter);

    // Refinement interpolates exactly (the parent's polynomial lies in the
    // children's space). Coarsening applies FE_DGQ's restriction matrices, the
    // L2 projection on the reference cell; the Jacobian of the Q1 mapping lies
    // in Q_1, inside Q_k (k >= 1), so the projection also keeps int rho J:
    // the mass is kept to round-off on any mesh of straight-sided cells
    // (tested on non-affine cells in tests/test_pde_adaptive.cc).
    ghosted                       = solution;
    const VectorType old_solution = ghosted;
    if constexpr (dim == 1)
      {
        SolutionTransfer<dim, VectorType> transfer(dof_handler);
        transfer.prepare_for_coarsening_and_refinement(old_solution);
        triangulation->execute_coarsening_and_refinement();
        setup_discretisation();
        transfer.interpolate(old_solution, solution);
      }
    else
      {
        parallel::distributed::SolutionTransfer<dim, VectorType> transfer(dof_handler);
        transfer.prepare_for_coarsening_and_refinement(old_solution);
        triangulation->execute_coarsening_and_refinement();
        setup_discretisation();
        transfer.interpolate(solution);
      }
    apply_limiter(solution);
    check_finite("after remeshing");
    return true;
  }

  template <int dim>
  void
  Solver<dim>::set_initial_density()
  {
    const auto &setting = problem.reduced_setting();
    if (parameters.initial_density != "built in")
      {
        const auto function =
          io::parse_expression<dim>(variable_names(setting), parameters.initial_density, "PDE/Initial density");
        set_initial_density(*function, false);
        return;
      }
    io::require(!setting.has_amplitude() ||
                  setting.initial_law().a_law != model::InitialLaw::AmplitudeLaw::constant,
                "Problem/Initial a law", "'constant' has no density; the PDE needs 'uniform' or 'bump'");
    // The box must contain the initial law up to 1e-10 of its mass: checked on
    // the law's per-coordinate support (the amplitude law may be discontinuous,
    // which quadrature cannot resolve), and by quadrature for mesh files.
    const auto [lower, upper] = setting.initial_support(1e-12);
    const auto box            = bounding_box();
    for (unsigned int k = 0; k < dim; ++k)
      {
        const bool amplitude = setting.has_amplitude() && k == 0;
        const double low = amplitude ? setting.initial_law().a_lower : lower[k];
        const double high = amplitude ? setting.initial_law().a_upper : upper[k];
        io::require(box.lower_bound(k) <= low + 1e-12 && box.upper_bound(k) >= high - 1e-12,
                    parameters.mesh_file.empty() ? "PDE/Box upper" : "PDE/Mesh file",
                    "the mesh does not contain the initial law: coordinate " + setting.coordinate_names()[k] +
                      " needs [" + std::to_string(low) + ", " + std::to_string(high) + "]");
      }
    set_initial_density(BuiltInDensity<dim>(setting), !parameters.mesh_file.empty());
  }

  template <int dim>
  double
  Solver<dim>::mass() const
  {
    std::vector<double> weights;
    gather_cells(owned_density_weights(solution), n_q_points, weights);
    return std::accumulate(weights.begin(), weights.end(), 0.);
  }

  template <int dim>
  double
  Solver<dim>::min_rho() const
  {
    double minimum = std::numeric_limits<double>::max();
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      minimum = std::min(minimum, minimum_value(owned_coefficients(solution, c), shape_at_limiter, n_dofs_per_cell));
    return Utilities::MPI::min(minimum, mesh_communicator);
  }

  template <int dim>
  std::vector<double>
  Solver<dim>::mean() const
  {
    std::vector<double> weights;
    gather_cells(owned_density_weights(solution), n_q_points, weights);
    std::vector<double> result(dim, 0.);
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      for (unsigned int k = 0; k < dim; ++k)
        result[k] += all_q_points[p][k] * weights[p];
    return result;
  }

  template <int dim>
  double
  Solver<dim>::risk()
  {
    gather_cells(owned_density_weights(solution), n_q_points, density_weights);
    potential->update(density_weights);
    return potential->risk();
  }

  template <int dim>
  double
  Solver<dim>::integrate(const Function<dim> &f) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree, mesh_communicator,
                                [&](const Point<dim> &z, double rho) { return f.value(z) * rho; });
  }

  template <int dim>
  double
  Solver<dim>::l1_error(const Function<dim> &exact) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree, mesh_communicator,
                                [&](const Point<dim> &z, double rho) { return std::abs(exact.value(z) - rho); });
  }

  template <int dim>
  model::GridDensity
  Solver<dim>::sample(const std::vector<unsigned int> &n) const
  {
    const auto         box = bounding_box();
    model::GridDensity grid;
    grid.n           = n;
    unsigned int total = 1;
    std::vector<double> spacing(dim);
    for (unsigned int k = 0; k < dim; ++k)
      {
        grid.lower.push_back(box.lower_bound(k));
        grid.upper.push_back(box.upper_bound(k));
        spacing[k] = (grid.upper[k] - grid.lower[k]) / n[k];
        total *= n[k];
      }
    grid.values.assign(total, 0.);
    // A grid point on a cell boundary takes the value of the first cell in
    // the global order that holds it (the owned cells are in that order).
    std::vector<double> sampled_by(total, std::numeric_limits<double>::max());
    const auto         &mapping = StaticMappingQ1<dim>::mapping;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const auto  &cell     = cells[c];
        const auto   cell_box = cell->bounding_box();
        unsigned int begin[2] = {0, 0}, end[2] = {1, 1};
        for (unsigned int k = 0; k < dim; ++k)
          {
            const double first = std::ceil((cell_box.lower_bound(k) - grid.lower[k]) / spacing[k] - 0.5 - 1e-9);
            const double last  = std::floor((cell_box.upper_bound(k) - grid.lower[k]) / spacing[k] - 0.5 + 1e-9);
            begin[k] = static_cast<unsigned int>(std::max(0., first));
            end[k]   = static_cast<unsigned int>(std::min(double(n[k]) - 1., last) + 1.);
          }
        const double *coefficients = owned_coefficients(solution, c);
        for (unsigned int j = begin[1]; j < end[1]; ++j)
          for (unsigned int i = begin[0]; i < end[0]; ++i)
            {
              const unsigned int index = dim == 1 ? i : j * n[0] + i;
              if (sampled_by[index] < std::numeric_limits<double>::max())
                continue;
              Point<dim> z;
              z[0] = grid.lower[0] + (i + 0.5) * spacing[0];
              if (dim == 2)
                z[dim - 1] = grid.lower[dim - 1] + (j + 0.5) * spacing[dim - 1];
              Point<dim> unit;
              try
                {
                  unit = mapping.transform_real_to_unit_cell(cell, z);
                }
              catch (const typename Mapping<dim>::ExcTransformationFailed &)
                {
                  continue;
                }
              if (!GeometryInfo<dim>::is_inside_unit_cell(unit, 1e-10))
                continue;
              double value = 0.;
              for (unsigned int d = 0; d < n_dofs_per_cell; ++d)
                value += coefficients[d] * fe.shape_value(d, unit);
              // rho >= 0 holds at the limiter points; between them the
              // polynomial may dip below 0 by round-off-sized amounts.
              grid.values[index] = std::max(0., value);
              sampled_by[index]  = order.owned_position[c];
            }
      }
    if (n_ranks > 1)
      {
        // Keep each point's value from the first cell; the sum has one non-zero term.
        std::vector<double> first(total);
        Utilities::MPI::min(sampled_by, mesh_communicator, first);
        for (unsigned int index = 0; index < total; ++index)
          if (sampled_by[index] != first[index])
            grid.values[index] = 0.;
        Utilities::MPI::sum(grid.values, mesh_communicator, grid.values);
      }
    return grid;
  }

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
  double
  Solver<dim>::cfl_time_step(const double t) const
  {
    // h_K / |b|_1 over the quadrature points of every cell and face (each
    // rank its cells; the minimum is exact), and with noise h_K^2 / (2 dim nu (degree + 1)^2).
    const double factor    = -2. * problem.xi(t) / problem.alpha;
    const double nu        = noise_coefficient(t);
    const double p1        = parameters.degree + 1.;
    double       min_ratio = std::numeric_limits<double>::max();
    const auto   speed_at  = [&](unsigned int p) {
      const Tensor<1, dim> b = velocity(p, factor, nu);
      double               s = 0.;
      for (unsigned int d = 0; d < dim; ++d)
        s += std::abs(b[d]);
      return s;
    };
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        double speed = 0.;
        for (unsigned int q = 0; q < n_q_points; ++q)
          speed = std::max(speed, speed_at(c * n_q_points + q));
        for (const auto &[f, minus] : cell_faces[c])
          for (unsigned int q = 0; q < faces[f].JxW.size(); ++q)
            speed = std::max(speed, speed_at(faces[f].first_point + q));
        if (speed > 0.)
          min_ratio = std::min(min_ratio, cell_size[c] / speed);
        if (nu > 0.)
          min_ratio = std::min(min_ratio, cell_size[c] * cell_size[c] / (2. * dim * nu * p1 * p1));
      }
    return parameters.cfl * Utilities::MPI::min(min_ratio, mesh_communicator);
  }

  template <int dim>
  double
  Solver<dim>::noise_coefficient(const double t) const
  {
    return problem.xi(t) * problem.temperature / problem.neuron_dimension();
  }

  template <int dim>
  void
  Solver<dim>::advance(double t_end)
  {
    VectorType   k0, k1, k2, u1, u2;
    const double tolerance  = 1e-12 * std::max(1., std::abs(t_end));
    const auto  &adaptivity = parameters.adaptivity;
    while (current_time < t_end - tolerance)
      {
        if (adaptivity.enabled() && step_count > last_adaptation_step && step_count % adaptivity.interval == 0)
          {
            adapt_mesh();
            last_adaptation_step = step_count;
          }
        // After a remeshing (the vectors share solution's map: a cheap test).
        if (!k0.trilinos_partitioner().SameAs(solution.trilinos_partitioner()))
          for (auto *v : {&k0, &k1, &k2, &u1, &u2})
            v->reinit(solution);
        const double t  = current_time;
        const double f0 = compute_rate(solution, t, k0);
        double       dt = parameters.time_step;
        if (dt == 0.)
          {
            dt = cfl_time_step(t);
            if (!std::isfinite(dt))
              dt = t_end - t;
          }
        if (t + dt > t_end - tolerance)
          dt = t_end - t;

        // SSP-RK3 (Shu-Osher) with the positivity limiter after every stage.
        combine(u1, 1., solution, 0., solution, dt, k0);
        apply_limiter(u1);
        const double f1 = compute_rate(u1, t + dt, k1);
        combine(u2, 0.75, solution, 0.25, u1, 0.25 * dt, k1);
        apply_limiter(u2);
        const double f2 = compute_rate(u2, t + 0.5 * dt, k2);
        combine(solution, 1. / 3., solution, 2. / 3., u2, 2. / 3. * dt, k2);
        apply_limiter(solution);
        outflow += dt * (f0 + f1 + 4. * f2) / 6.;

        current_time = (t + dt > t_end - tolerance) ? t_end : t + dt;
        last_dt      = dt;
        ++step_count;
        check_finite("after a time step");
        if (!outflow_warned && outflow > 1e-10)
          {
            outflow_warned = true;
            if (writes_files)
              std::cerr << "warning: mass " << outflow << " has left the mesh through its boundary by t = "
                        << current_time << " (counted in mass_out; enlarge the box if this matters)" << std::endl;
          }
      }
  }

  template <int dim>
  void
  Solver<dim>::write_vtu(const io::OutputParameters &output, unsigned int index,
                         std::vector<std::pair<double, std::string>> &pvd_records) const
  {
    std::ostringstream file;
    file << "pde_" << std::setw(4) << std::setfill('0') << index << (n_ranks == 1 ? ".vtu" : ".pvtu");
    pvd_records.emplace_back(current_time, file.str());
    if (n_ranks == 1 && !writes_files)
      return; // 1D: the whole mesh is on every rank, rank 0 writes it

    // psi and the velocity interpolated at the DG support points of the owned cells.
    const FESystem<dim> vector_fe(fe, dim);
    DoFHandler<dim>     vector_dof_handler(*triangulation);
    vector_dof_handler.distribute_dofs(vector_fe);
    const IndexSet vector_owned_dofs = vector_dof_handler.locally_owned_dofs();
    VectorType     psi(locally_owned_dofs, mesh_communicator), velocity(vector_owned_dofs, mesh_communicator);
    Vector<float> subdomain(triangulation->n_active_cells());
    const auto   &mapping     = StaticMappingQ1<dim>::mapping;
    const auto   &unit_points = fe.get_unit_support_points();
    const double  factor      = -2. * problem.xi(current_time) / problem.alpha;
    std::vector<types::global_dof_index> vector_dofs(vector_fe.n_dofs_per_cell());
    for (const auto &cell : vector_dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int c = slot_of_index[cell->active_cell_index()];
          subdomain[cell->active_cell_index()] = cell->subdomain_id();
          cell->get_dof_indices(vector_dofs);
          double *psi_values = owned_coefficients(psi, c);
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            {
              Tensor<1, dim> gradient;
              psi_values[i] = potential->value(mapping.transform_unit_to_real_cell(cell, unit_points[i]), &gradient);
              for (unsigned int j = 0; j < vector_fe.n_dofs_per_cell(); ++j)
                {
                  const auto [component, base_index] = vector_fe.system_to_component_index(j);
                  if (base_index == i)
                    velocity.begin()[vector_owned_dofs.index_within_set(vector_dofs[j])] = factor * gradient[component];
                }
            }
        }
    DataOut<dim> data_out;
    data_out.attach_triangulation(*triangulation);
    data_out.add_data_vector(dof_handler, solution, "rho");
    data_out.add_data_vector(dof_handler, psi, "psi");
    data_out.add_data_vector(vector_dof_handler, velocity, std::vector<std::string>(dim, "velocity"),
                             std::vector<DataComponentInterpretation::DataComponentInterpretation>(
                               dim, DataComponentInterpretation::component_is_part_of_vector));
    data_out.add_data_vector(subdomain, "subdomain");
    data_out.build_patches(parameters.degree);
    // zlib at best_compression (the default) took a fifth of a short 2D run.
    DataOutBase::VtkFlags vtk_flags;
    vtk_flags.compression_level = DataOutBase::VtkFlags::best_speed;
    data_out.set_flags(vtk_flags);
    if (n_ranks == 1)
      {
        std::ofstream out(output.path(file.str()));
        data_out.write_vtu(out);
      }
    else
      data_out.write_vtu_with_pvtu_record(output.folder + "/", "pde", index, mesh_communicator, 4, 0);
    if (writes_files)
      {
        std::ofstream pvd(output.path("pde.pvd"));
        DataOutBase::write_pvd_record(pvd, pvd_records);
      }
  }

  template <int dim>
  model::ReducedLawSnapshot
  Solver<dim>::snapshot(const std::vector<unsigned int> &grid_cells)
  {
    model::ReducedLawSnapshot result;
    result.t    = current_time;
    result.risk = risk(); // also fills density_weights
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      {
        for (unsigned int k = 0; k < dim; ++k)
          result.points.push_back(all_q_points[p][k]);
        result.weights.push_back(density_weights[p]);
      }
    result.grid = sample(grid_cells);
    return result;
  }

  template <int dim>
  model::ReducedLawTrajectory
  Solver<dim>::run(const io::OutputParameters &output, bool write_files)
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
        std::vector<std::string> columns = {"t", "mass", "mass_out", "risk", "min_rho", "n_cells", "dt"};
        for (const auto &name : setting.coordinate_names())
          columns.push_back("mean_" + name);
        diagnostics.open(output.path("pde_diagnostics.csv"), columns);
      }
    std::vector<std::pair<double, std::string>> pvd_records;
    io::ProgressReporter                        progress("pde", T, write_files);
    model::ReducedLawTrajectory                 trajectory;
    for (unsigned int k = 0; k < output_times.size(); ++k)
      {
        advance(output_times[k]);
        trajectory.push_back(snapshot(parameters.sample_cells));
        const double total = mass();
        std::vector<double> row = {current_time, total, outflow, trajectory.back().risk, min_rho(),
                                   double(n_cells()), last_dt};
        for (const double m : mean())
          row.push_back(m);
        if (writer)
          diagnostics.add_row(row);
        if (write_files && output.write_vtu)
          write_vtu(output, k, pvd_records);
        progress.update(current_time, "risk " + std::to_string(trajectory.back().risk));
        if (!(total > 0.) || !std::isfinite(total))
          throw io::RunError("PDE: mass " + std::to_string(total) + " at t = " + std::to_string(current_time) +
                             " is not positive (blow-up)");
      }
    if (writer)
      {
        const auto   &grid = trajectory.back().grid;
        std::vector<std::string> columns = setting.coordinate_names();
        columns.push_back("rho");
        io::CsvWriter final_density(output.path("pde_final.csv"), columns);
        for (unsigned int index = 0; index < grid.values.size(); ++index)
          {
            std::vector<double> row;
            for (unsigned int k = 0, rest = index; k < dim; rest /= grid.n[k], ++k)
              row.push_back(grid.lower[k] + (rest % grid.n[k] + 0.5) * (grid.upper[k] - grid.lower[k]) / grid.n[k]);
            row.push_back(grid.values[index]);
            final_density.add_row(row);
          }
      }
    return trajectory;
  }

  template class Solver<1>;
  template class Solver<2>;
} // namespace mfdd::pde
