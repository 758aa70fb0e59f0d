#include <mfdd/io/expression.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_accessor.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/grid/filtered_iterator.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/solution_transfer.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
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

    /// Sum over cells and Gauss points (degree + 4 per direction, exact for the
    /// DG polynomial times smooth data) of integrand(x, rho_h(x)) JxW.
    template <int dim, class Integrand>
    double
    integrate_over_cells(const DoFHandler<dim>      &dof_handler,
                         const Vector<double>       &solution,
                         const unsigned int          degree,
                         const Integrand            &integrand)
    {
      const QGauss<dim>   quadrature(degree + 4);
      FEValues<dim>       fe_values(dof_handler.get_fe(), quadrature,
                              update_values | update_JxW_values | update_quadrature_points);
      std::vector<double> values(quadrature.size());
      double              total = 0.;
      for (const auto &cell : dof_handler.active_cell_iterators())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(solution, values);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            total += integrand(fe_values.quadrature_point(q), values[q]) * fe_values.JxW(q);
        }
      return total;
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
                      "empty: 0 for radii, a_lower - (a_upper - a_lower)/2 for a.");
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
    , communicator(communicator)
    , n_ranks(Utilities::MPI::n_mpi_processes(communicator))
    , rank(Utilities::MPI::this_mpi_process(communicator))
    , fe(parameters.degree)
    , dof_handler(triangulation)
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
    triangulation.clear();
    if (!parameters.mesh_file.empty())
      {
        std::ifstream in(parameters.mesh_file);
        io::require(bool(in), "PDE/Mesh file", "cannot open '" + parameters.mesh_file + "'");
        GridIn<dim> grid_in(triangulation);
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
                  lower.push_back(0.);
                  upper.push_back(2.5 * high[k]);
                }
          }
        Point<dim> p0, p1;
        for (unsigned int k = 0; k < dim; ++k)
          {
            p0[k] = lower[k];
            p1[k] = upper[k];
          }
        GridGenerator::subdivided_hyper_rectangle(triangulation, parameters.subdivisions, p0, p1);
      }
    triangulation.refine_global(parameters.global_refinements);
    setup_discretisation();
  }

  template <int dim>
  void
  Solver<dim>::setup_discretisation()
  {
    dof_handler.distribute_dofs(fe);
    n_dofs_per_cell        = fe.n_dofs_per_cell();
    const unsigned int n_c = triangulation.n_active_cells();
    first_owned_cell       = n_c * rank / n_ranks;
    end_owned_cell         = n_c * (rank + 1) / n_ranks;

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

    // Per-cell tables.
    FEValues<dim> fe_values(fe, quadrature,
                            update_values | update_gradients | update_JxW_values | update_quadrature_points);
    JxW.resize(n_c * n_q_points);
    q_points.resize(n_c * n_q_points);
    grad_shape_JxW.resize(n_c * n_q_points * n_dofs_per_cell * dim);
    inverse_mass.resize(n_c * n_dofs_per_cell * n_dofs_per_cell);
    cell_volume.resize(n_c);
    cell_size.resize(n_c);
    cell_faces.assign(n_c, {});
    std::vector<types::global_dof_index> dof_indices(n_dofs_per_cell);
    FullMatrix<double>                   mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        const unsigned int c = cell->active_cell_index();
        cell->get_dof_indices(dof_indices);
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          AssertThrow(dof_indices[i] == c * n_dofs_per_cell + i, ExcMessage("DG dofs are not numbered cell-wise"));
        fe_values.reinit(cell);
        mass_matrix = 0.;
        cell_volume[c] = 0.;
        for (unsigned int q = 0; q < n_q_points; ++q)
          {
            JxW[c * n_q_points + q]      = fe_values.JxW(q);
            q_points[c * n_q_points + q] = fe_values.quadrature_point(q);
            cell_volume[c] += fe_values.JxW(q);
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              {
                for (unsigned int d = 0; d < dim; ++d)
                  grad_shape_JxW[((c * n_q_points + q) * n_dofs_per_cell + i) * dim + d] =
                    fe_values.shape_grad(i, q)[d] * fe_values.JxW(q);
                for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
                  mass_matrix(i, j) += fe_values.shape_value(i, q) * fe_values.shape_value(j, q) * fe_values.JxW(q);
              }
          }
        mass_matrix.gauss_jordan();
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
            inverse_mass[(c * n_dofs_per_cell + i) * n_dofs_per_cell + j] = mass_matrix(i, j);
        cell_size[c] = cell->minimum_vertex_distance();
      }

    // Faces: each interior face once, seen from the coarser cell, or between
    // cells of one level from the cell with the smaller index. A face with a
    // hanging node is integrated on each subface against the fine neighbour.
    faces.clear();
    // psi is evaluated where this rank needs it: at its cells' quadrature
    // points, then on the faces of its cells.
    const auto owned = [this](unsigned int c) { return c >= first_owned_cell && c < end_owned_cell; };
    std::vector<Point<dim>> evaluation_points(q_points.begin() + first_owned_cell * n_q_points,
                                              q_points.begin() + end_owned_cell * n_q_points);
    const QGauss<dim - 1>   face_quadrature(parameters.degree + 1);
    const UpdateFlags       minus_flags =
      update_values | update_JxW_values | update_normal_vectors | update_quadrature_points;
    FEFaceValues<dim>    face_minus(fe, face_quadrature, minus_flags);
    FESubfaceValues<dim> subface_minus(fe, face_quadrature, minus_flags);
    FEFaceValues<dim>    face_plus(fe, face_quadrature, update_values | update_quadrature_points);
    using active_cell = typename DoFHandler<dim>::active_cell_iterator;
    const auto add_face = [&](const FEFaceValuesBase<dim> &minus, const active_cell &cell,
                              const active_cell *neighbor, const unsigned int neighbor_face) {
      FaceData           face;
      const unsigned int nq = face_quadrature.size();
      face.cell_minus       = cell->active_cell_index();
      face.cell_plus        = neighbor ? (*neighbor)->active_cell_index() : numbers::invalid_unsigned_int;
      const bool         needed = owned(face.cell_minus) || (neighbor && owned(face.cell_plus));
      face.first_point          = needed ? evaluation_points.size() : numbers::invalid_unsigned_int;
      face.shape_minus.resize(nq * n_dofs_per_cell);
      for (unsigned int q = 0; q < nq; ++q)
        {
          face.JxW.push_back(minus.JxW(q));
          face.normal.push_back(minus.normal_vector(q));
          if (needed)
            evaluation_points.push_back(minus.quadrature_point(q));
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            face.shape_minus[q * n_dofs_per_cell + i] = minus.shape_value(i, q);
        }
      if (neighbor)
        {
          face_plus.reinit(*neighbor, neighbor_face);
          face.shape_plus.resize(nq * n_dofs_per_cell);
          for (unsigned int q = 0; q < nq; ++q)
            {
              // The neighbour's face points in the same physical order.
              unsigned int match = 0;
              for (unsigned int p = 1; p < nq; ++p)
                if (face_plus.quadrature_point(p).distance(minus.quadrature_point(q)) <
                    face_plus.quadrature_point(match).distance(minus.quadrature_point(q)))
                  match = p;
              AssertThrow(face_plus.quadrature_point(match).distance(minus.quadrature_point(q)) <
                            1e-10 * cell_size[face.cell_minus],
                          ExcMessage("face quadrature points do not match"));
              for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                face.shape_plus[q * n_dofs_per_cell + i] = face_plus.shape_value(i, match);
            }
          cell_faces[face.cell_plus].emplace_back(faces.size(), false);
        }
      cell_faces[face.cell_minus].emplace_back(faces.size(), true);
      faces.push_back(std::move(face));
    };
    for (const auto &cell : dof_handler.active_cell_iterators())
      for (const unsigned int f : cell->face_indices())
        {
          if (cell->at_boundary(f))
            {
              face_minus.reinit(cell, f);
              add_face(face_minus, cell, nullptr, 0);
              continue;
            }
          const auto neighbor = cell->neighbor(f); // same level or coarser
          if (neighbor->level() < cell->level())
            continue; // seen from the coarse side
          if (neighbor->is_active())
            {
              if (neighbor->active_cell_index() > cell->active_cell_index())
                {
                  face_minus.reinit(cell, f);
                  const active_cell plus = neighbor;
                  add_face(face_minus, cell, &plus, cell->neighbor_of_neighbor(f));
                }
            }
          else if (dim == 1)
            {
              // In 1D the face is a point: the finest cell of the neighbour touching it.
              auto fine = neighbor;
              while (fine->has_children())
                fine = fine->child(1 - f);
              face_minus.reinit(cell, f);
              const active_cell plus = fine;
              add_face(face_minus, cell, &plus, 1 - f);
            }
          else
            for (unsigned int sub = 0; sub < cell->face(f)->n_children(); ++sub)
              {
                const active_cell plus = cell->neighbor_child_on_subface(f, sub);
                AssertThrow(plus->is_active(), ExcMessage("a face with more than one hanging level"));
                subface_minus.reinit(cell, f, sub);
                add_face(subface_minus, cell, &plus, cell->neighbor_of_neighbor(f));
              }
        }

    // Owner of each cell, for the parallel VTU output.
    for (const auto &cell : triangulation.active_cell_iterators())
      cell->set_subdomain_id(static_cast<types::subdomain_id>(
        (static_cast<unsigned long>(cell->active_cell_index() + 1) * n_ranks - 1) / n_c));

    const auto box = GridTools::compute_bounding_box(triangulation);
    potential->reinit(box, q_points, evaluation_points);
    solution.reinit(dof_handler.n_dofs());
    rho_at_q.resize(n_c * n_q_points);
    density_weights.resize(n_c * n_q_points);
    face_flux.resize(faces.size() * face_quadrature.size());
  }

  template <int dim>
  void
  Solver<dim>::update_density_at_points(const Vector<double> &u)
  {
    const unsigned int n_c = triangulation.n_active_cells();
    for (unsigned int c = 0; c < n_c; ++c)
      {
        const double *coefficients = u.begin() + c * n_dofs_per_cell;
        for (unsigned int q = 0; q < n_q_points; ++q)
          {
            const double value = polynomial_value(coefficients, &shape_at_q[q * n_dofs_per_cell], n_dofs_per_cell);
            rho_at_q[c * n_q_points + q]        = value;
            density_weights[c * n_q_points + q] = value * JxW[c * n_q_points + q];
          }
      }
  }

  template <int dim>
  double
  Solver<dim>::compute_rate(const Vector<double> &u, double t, Vector<double> &rate)
  {
    update_density_at_points(u);
    potential->update(density_weights);
    potential->evaluate(psi_at_points, grad_psi_at_points);
    const double velocity_factor = -2. * problem.xi(t) / problem.alpha;

    // Upwind fluxes b.n rho_upwind JxW on every face of an owned cell.
    const auto owned = [&](unsigned int c) { return c >= first_owned_cell && c < end_owned_cell; };
    double     outflow_rate = 0.;
    const unsigned int nq_face = faces.empty() ? 0 : faces[0].JxW.size();
    for (unsigned int f = 0; f < faces.size(); ++f)
      {
        const FaceData &face     = faces[f];
        const bool      boundary = face.cell_plus == numbers::invalid_unsigned_int;
        if (!owned(face.cell_minus) && (boundary || !owned(face.cell_plus)))
          continue;
        for (unsigned int q = 0; q < nq_face; ++q)
          {
            const double bn = velocity_factor * (grad_psi_at_points[face.first_point + q] * face.normal[q]);
            double       rho_upwind = 0.;
            if (bn > 0.)
              rho_upwind = polynomial_value(u.begin() + face.cell_minus * n_dofs_per_cell,
                                            &face.shape_minus[q * n_dofs_per_cell], n_dofs_per_cell);
            else if (!boundary) // no inflow through the boundary
              rho_upwind = polynomial_value(u.begin() + face.cell_plus * n_dofs_per_cell,
                                            &face.shape_plus[q * n_dofs_per_cell], n_dofs_per_cell);
            face_flux[f * nq_face + q] = bn * rho_upwind * face.JxW[q];
            if (boundary && owned(face.cell_minus))
              outflow_rate += face_flux[f * nq_face + q];
          }
      }

    rate = 0.;
    std::vector<double> residual(n_dofs_per_cell);
    for (unsigned int c = first_owned_cell; c < end_owned_cell; ++c)
      {
        std::fill(residual.begin(), residual.end(), 0.);
        for (unsigned int q = 0; q < n_q_points; ++q)
          {
            const Tensor<1, dim> flux = (velocity_factor * rho_at_q[c * n_q_points + q]) *
                                        grad_psi_at_points[(c - first_owned_cell) * n_q_points + q];
            const double *grad = &grad_shape_JxW[(c * n_q_points + q) * n_dofs_per_cell * dim];
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              for (unsigned int d = 0; d < dim; ++d)
                residual[i] += flux[d] * grad[i * dim + d];
          }
        for (const auto &[f, minus] : cell_faces[c])
          {
            const std::vector<double> &shape = minus ? faces[f].shape_minus : faces[f].shape_plus;
            const double               sign  = minus ? -1. : 1.;
            for (unsigned int q = 0; q < nq_face; ++q)
              {
                const double flux = sign * face_flux[f * nq_face + q];
                for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
                  residual[i] += flux * shape[q * n_dofs_per_cell + i];
              }
          }
        const double *minv = &inverse_mass[c * n_dofs_per_cell * n_dofs_per_cell];
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          {
            double value = 0.;
            for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
              value += minv[i * n_dofs_per_cell + j] * residual[j];
            rate[c * n_dofs_per_cell + i] = value;
          }
      }
    if (n_ranks > 1)
      {
        // Every entry is non-zero on one rank only: the sum is exact.
        Utilities::MPI::sum(ArrayView<const double>(rate.begin(), rate.size()), communicator,
                            ArrayView<double>(rate.begin(), rate.size()));
        outflow_rate = Utilities::MPI::sum(outflow_rate, communicator);
      }
    return outflow_rate;
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
  void
  Solver<dim>::limit_cell(double *coefficients, const unsigned int c, const std::vector<double> &shape_at_points) const
  {
    const double mean    = cell_mass(coefficients, c) / cell_volume[c];
    const double minimum = std::min(mean, minimum_value(coefficients, shape_at_points, n_dofs_per_cell));
    if (minimum >= 0.)
      return;
    if (mean < 0.)
      {
        std::ostringstream message;
        message << "negative cell mean " << mean << " at t = " << current_time
                << " (CFL too large for positivity? reduce PDE/CFL number)";
        throw io::RunError(message.str());
      }
    // Scale towards the mean (partition of unity: coefficients are values).
    // The factor 1 - 1e-12 keeps round-off from leaving tiny negative values.
    const double theta = (1. - 1e-12) * mean / (mean - minimum);
    for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
      coefficients[i] = mean + theta * (coefficients[i] - mean);
  }

  template <int dim>
  void
  Solver<dim>::apply_limiter(Vector<double> &u) const
  {
    for (unsigned int c = 0; c < triangulation.n_active_cells(); ++c)
      limit_cell(u.begin() + c * n_dofs_per_cell, c, shape_at_limiter);
  }

  template <int dim>
  double
  Solver<dim>::project_density(const Function<dim> &density)
  {
    const QGauss<dim>  quadrature(parameters.degree + 4);
    FEValues<dim>      fe_values(fe, quadrature, update_values | update_JxW_values | update_quadrature_points);
    FullMatrix<double> mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
    Vector<double>     rhs(n_dofs_per_cell), local(n_dofs_per_cell);
    double             mass_of_density = 0.;
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        fe_values.reinit(cell);
        mass_matrix = 0.;
        rhs         = 0.;
        for (unsigned int q = 0; q < quadrature.size(); ++q)
          {
            const double f = density.value(fe_values.quadrature_point(q));
            if (!(f >= 0.) || !std::isfinite(f))
              {
                std::ostringstream where;
                where << fe_values.quadrature_point(q);
                throw io::InputError("PDE/Initial density: value " + std::to_string(f) + " at z = (" + where.str() +
                                     ") is negative or not finite");
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
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          solution[cell->active_cell_index() * n_dofs_per_cell + i] = local(i);
      }
    return mass_of_density;
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
          triangulation.execute_coarsening_and_refinement();
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

  template <int dim>
  bool
  Solver<dim>::flag_cells_for_adaptation()
  {
    const auto        &adaptivity = parameters.adaptivity;
    const unsigned int n_c        = triangulation.n_active_cells();
    Vector<double>     indicator(n_c);
    if (adaptivity.indicator == "mass")
      for (unsigned int c = 0; c < n_c; ++c)
        indicator[c] = std::max(0., cell_mass(solution.begin() + c * n_dofs_per_cell, c));
    else
      {
        // h_K int_{dK} |[rho]|: each face's jump counts for both its cells.
        for (const FaceData &face : faces)
          {
            double jump = 0.;
            for (unsigned int q = 0; q < face.JxW.size(); ++q)
              {
                double difference = polynomial_value(solution.begin() + face.cell_minus * n_dofs_per_cell,
                                                     &face.shape_minus[q * n_dofs_per_cell], n_dofs_per_cell);
                if (face.cell_plus != numbers::invalid_unsigned_int)
                  difference -= polynomial_value(solution.begin() + face.cell_plus * n_dofs_per_cell,
                                                 &face.shape_plus[q * n_dofs_per_cell], n_dofs_per_cell);
                jump += std::abs(difference) * face.JxW[q];
              }
            indicator[face.cell_minus] += jump;
            if (face.cell_plus != numbers::invalid_unsigned_int)
              indicator[face.cell_plus] += jump;
          }
        for (unsigned int c = 0; c < n_c; ++c)
          indicator[c] *= cell_size[c];
      }
    const double total = indicator.l1_norm();
    if (!(total > 0.))
      return false;

    // Bulk (Doerfler) marking that counts the cells already at the maximum
    // level as marked: the largest indicators below it are refined until the
    // marked cells carry the refine fraction of the total; then the smallest
    // indicators above the minimum level, up to the coarsen fraction of the
    // total, are coarsened. Cells below the minimum level are refined.
    std::vector<unsigned int> order(n_c);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](unsigned int i, unsigned int j) { return indicator[i] > indicator[j]; });
    std::vector<typename Triangulation<dim>::active_cell_iterator> cells(n_c);
    for (const auto &cell : triangulation.active_cell_iterators())
      cells[cell->active_cell_index()] = cell;
    double marked = 0.;
    for (unsigned int c = 0; c < n_c; ++c)
      if (static_cast<unsigned int>(cells[c]->level()) >= adaptivity.maximum_level)
        marked += indicator[c];
    for (const unsigned int c : order)
      {
        if (marked >= adaptivity.refine_fraction * total)
          break;
        if (static_cast<unsigned int>(cells[c]->level()) < adaptivity.maximum_level)
          {
            cells[c]->set_refine_flag();
            marked += indicator[c];
          }
      }
    double coarsened = 0.;
    for (auto c = order.rbegin(); c != order.rend(); ++c)
      {
        coarsened += indicator[*c];
        if (coarsened > adaptivity.coarsen_fraction * total)
          break;
        if (!cells[*c]->refine_flag_set() &&
            static_cast<unsigned int>(cells[*c]->level()) > adaptivity.minimum_level)
          cells[*c]->set_coarsen_flag();
      }
    for (const auto &cell : cells)
      if (static_cast<unsigned int>(cell->level()) < adaptivity.minimum_level)
        {
          cell->clear_coarsen_flag();
          cell->set_refine_flag();
        }
    triangulation.prepare_coarsening_and_refinement();
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->refine_flag_set() || cell->coarsen_flag_set())
        return true;
    return false;
  }

  template <int dim>
  bool
  Solver<dim>::adapt_mesh()
  {
    if (!flag_cells_for_adaptation())
      return false;
    // Cells to refine are first limited at their children's limiter points,
    // so that the interpolated children are >= 0 at theirs (means >= 0).
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->refine_flag_set())
        limit_cell(solution.begin() + cell->active_cell_index() * n_dofs_per_cell, cell->active_cell_index(),
                   shape_at_child_limiter);

    // Refinement interpolates exactly (the parent's polynomial lies in the
    // children's space). Coarsening applies FE_DGQ's restriction matrices, the
    // L2 projection on the reference cell; the Jacobian of the Q1 mapping lies
    // in Q_1, inside Q_k (k >= 1), so the projection also keeps int rho J:
    // the mass is kept to round-off on any mesh of straight-sided cells
    // (tested on non-affine cells in tests/test_pde_adaptive.cc).
    const Vector<double>                  old_solution = solution;
    SolutionTransfer<dim, Vector<double>> transfer(dof_handler);
    transfer.prepare_for_coarsening_and_refinement(old_solution);
    triangulation.execute_coarsening_and_refinement();
    setup_discretisation();
    transfer.interpolate(old_solution, solution);
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
    const auto box            = GridTools::compute_bounding_box(triangulation);
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
    double total = 0.;
    for (unsigned int c = 0; c < triangulation.n_active_cells(); ++c)
      for (unsigned int q = 0; q < n_q_points; ++q)
        total += polynomial_value(solution.begin() + c * n_dofs_per_cell, &shape_at_q[q * n_dofs_per_cell], n_dofs_per_cell) *
                 JxW[c * n_q_points + q];
    return total;
  }

  template <int dim>
  double
  Solver<dim>::min_rho() const
  {
    double minimum = std::numeric_limits<double>::max();
    for (unsigned int c = 0; c < triangulation.n_active_cells(); ++c)
      minimum = std::min(minimum, minimum_value(solution.begin() + c * n_dofs_per_cell, shape_at_limiter, n_dofs_per_cell));
    return minimum;
  }

  template <int dim>
  std::vector<double>
  Solver<dim>::mean() const
  {
    const_cast<Solver<dim> *>(this)->update_density_at_points(solution);
    std::vector<double> result(dim, 0.);
    for (unsigned int p = 0; p < q_points.size(); ++p)
      for (unsigned int k = 0; k < dim; ++k)
        result[k] += q_points[p][k] * density_weights[p];
    return result;
  }

  template <int dim>
  double
  Solver<dim>::risk()
  {
    update_density_at_points(solution);
    potential->update(density_weights);
    return potential->risk();
  }

  template <int dim>
  double
  Solver<dim>::integrate(const Function<dim> &f) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree,
                                [&](const Point<dim> &z, double rho) { return f.value(z) * rho; });
  }

  template <int dim>
  double
  Solver<dim>::l1_error(const Function<dim> &exact) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree, [&](const Point<dim> &z, double rho) {
      return std::abs(exact.value(z) - rho);
    });
  }

  template <int dim>
  model::GridDensity
  Solver<dim>::sample(const std::vector<unsigned int> &n) const
  {
    const auto         box = GridTools::compute_bounding_box(triangulation);
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
    std::vector<bool> filled(total, false);
    const auto       &mapping = StaticMappingQ1<dim>::mapping;
    // Cell by cell: the grid centres inside each cell's bounding box.
    for (const auto &cell : triangulation.active_cell_iterators())
      {
        const auto         cell_box = cell->bounding_box();
        unsigned int       begin[2] = {0, 0}, end[2] = {1, 1};
        for (unsigned int k = 0; k < dim; ++k)
          {
            const double first = std::ceil((cell_box.lower_bound(k) - grid.lower[k]) / spacing[k] - 0.5 - 1e-9);
            const double last  = std::floor((cell_box.upper_bound(k) - grid.lower[k]) / spacing[k] - 0.5 + 1e-9);
            begin[k] = static_cast<unsigned int>(std::max(0., first));
            end[k]   = static_cast<unsigned int>(std::min(double(n[k]) - 1., last) + 1.);
          }
        const double *coefficients = solution.begin() + cell->active_cell_index() * n_dofs_per_cell;
        for (unsigned int j = begin[1]; j < end[1]; ++j)
          for (unsigned int i = begin[0]; i < end[0]; ++i)
            {
              const unsigned int index = dim == 1 ? i : j * n[0] + i;
              if (filled[index])
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
              filled[index]      = true;
            }
      }
    return grid;
  }

  template <int dim>
  void
  Solver<dim>::check_finite(const char *where) const
  {
    for (const double x : solution)
      if (!std::isfinite(x))
        throw io::RunError(std::string("PDE: the density is not finite ") + where + " at t = " +
                           std::to_string(current_time) + " (blow-up; reduce PDE/CFL number or PDE/Time step)");
  }

  template <int dim>
  void
  Solver<dim>::advance(double t_end)
  {
    Vector<double> k0, k1, k2, u1, u2;
    const double   tolerance = 1e-12 * std::max(1., std::abs(t_end));
    const auto    &adaptivity = parameters.adaptivity;
    while (current_time < t_end - tolerance)
      {
        if (adaptivity.enabled() && step_count > last_adaptation_step && step_count % adaptivity.interval == 0)
          {
            adapt_mesh();
            last_adaptation_step = step_count;
          }
        if (k0.size() != solution.size())
          for (auto *v : {&k0, &k1, &k2, &u1, &u2})
            v->reinit(solution.size());
        const double t  = current_time;
        const double f0 = compute_rate(solution, t, k0);
        double       dt = parameters.time_step;
        if (dt == 0.)
          {
            // CFL: h_K / |b|_1 over the quadrature points of every cell and
            // face (each rank its cells; the minimum is exact).
            const double factor  = 2. * problem.xi(t) / problem.alpha;
            double       min_ratio = std::numeric_limits<double>::max();
            for (unsigned int c = first_owned_cell; c < end_owned_cell; ++c)
              {
                double speed = 0.;
                for (unsigned int q = 0; q < n_q_points; ++q)
                  {
                    double s = 0.;
                    for (unsigned int d = 0; d < dim; ++d)
                      s += std::abs(grad_psi_at_points[(c - first_owned_cell) * n_q_points + q][d]);
                    speed = std::max(speed, factor * s);
                  }
                for (const auto &[f, minus] : cell_faces[c])
                  for (unsigned int q = 0; q < faces[f].JxW.size(); ++q)
                    {
                      double s = 0.;
                      for (unsigned int d = 0; d < dim; ++d)
                        s += std::abs(grad_psi_at_points[faces[f].first_point + q][d]);
                      speed = std::max(speed, factor * s);
                    }
                if (speed > 0.)
                  min_ratio = std::min(min_ratio, cell_size[c] / speed);
              }
            if (n_ranks > 1)
              min_ratio = Utilities::MPI::min(min_ratio, communicator);
            dt = parameters.cfl * min_ratio;
            if (!std::isfinite(dt))
              dt = t_end - t;
          }
        if (t + dt > t_end - tolerance)
          dt = t_end - t;

        // SSP-RK3 (Shu-Osher) with the positivity limiter after every stage.
        u1 = solution;
        u1.add(dt, k0);
        apply_limiter(u1);
        const double f1 = compute_rate(u1, t + dt, k1);
        u2 = solution;
        u2.sadd(0.75, 0.25, u1);
        u2.add(0.25 * dt, k1);
        apply_limiter(u2);
        const double f2 = compute_rate(u2, t + 0.5 * dt, k2);
        solution.sadd(1. / 3., 2. / 3., u2);
        solution.add(2. / 3. * dt, k2);
        apply_limiter(solution);
        outflow += dt * (f0 + f1 + 4. * f2) / 6.;

        current_time = (t + dt > t_end - tolerance) ? t_end : t + dt;
        last_dt      = dt;
        ++step_count;
        check_finite("after a time step");
        if (!outflow_warned && outflow > 1e-10)
          {
            outflow_warned = true;
            if (rank == 0)
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
    // psi and the velocity interpolated at the DG support points.
    const FESystem<dim> vector_fe(fe, dim);
    DoFHandler<dim>     vector_dof_handler(triangulation);
    vector_dof_handler.distribute_dofs(vector_fe);
    Vector<double> psi(dof_handler.n_dofs()), velocity(vector_dof_handler.n_dofs()),
      owner(triangulation.n_active_cells());
    const auto  &mapping       = StaticMappingQ1<dim>::mapping;
    const auto  &unit_points   = fe.get_unit_support_points();
    const double factor        = -2. * problem.xi(current_time) / problem.alpha;
    std::vector<types::global_dof_index> vector_dofs(vector_fe.n_dofs_per_cell());
    auto vector_cell = vector_dof_handler.begin_active();
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        const unsigned int c = cell->active_cell_index();
        vector_cell->get_dof_indices(vector_dofs);
        owner[c] = cell->subdomain_id();
        if (cell->subdomain_id() == rank)
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            {
              Tensor<1, dim> gradient;
              psi[c * n_dofs_per_cell + i] =
                potential->value(mapping.transform_unit_to_real_cell(cell, unit_points[i]), &gradient);
              for (unsigned int j = 0; j < vector_fe.n_dofs_per_cell(); ++j)
                {
                  const auto [component, base_index] = vector_fe.system_to_component_index(j);
                  if (base_index == i)
                    velocity[vector_dofs[j]] = factor * gradient[component];
                }
            }
        ++vector_cell;
      }
    DataOut<dim> data_out;
    using cell_iterator = typename Triangulation<dim>::cell_iterator;
    const auto next_owned = [this](const Triangulation<dim> &tria, cell_iterator cell) -> cell_iterator {
      for (; cell != tria.end(); ++cell)
        if (cell->is_active() && cell->subdomain_id() == rank)
          return cell;
      return tria.end();
    };
    data_out.set_cell_selection([next_owned](const Triangulation<dim> &tria) { return next_owned(tria, tria.begin()); },
                                [next_owned](const Triangulation<dim> &tria, const cell_iterator &cell) {
                                  return next_owned(tria, std::next(cell));
                                });
    data_out.attach_triangulation(triangulation);
    data_out.add_data_vector(dof_handler, solution, "rho");
    data_out.add_data_vector(dof_handler, psi, "psi");
    data_out.add_data_vector(vector_dof_handler, velocity, std::vector<std::string>(dim, "velocity"),
                             std::vector<DataComponentInterpretation::DataComponentInterpretation>(
                               dim, DataComponentInterpretation::component_is_part_of_vector));
    data_out.add_data_vector(owner, "rank");
    data_out.build_patches(parameters.degree);
    // zlib at best_compression (the default) took a fifth of a short 2D run.
    DataOutBase::VtkFlags vtk_flags;
    vtk_flags.compression_level = DataOutBase::VtkFlags::best_speed;
    data_out.set_flags(vtk_flags);
    std::string name;
    if (n_ranks == 1)
      {
        std::ostringstream file;
        file << "pde_" << std::setw(4) << std::setfill('0') << index << ".vtu";
        name = file.str();
        std::ofstream out(output.path(name));
        data_out.write_vtu(out);
      }
    else
      name = data_out.write_vtu_with_pvtu_record(output.folder + "/", "pde", index, communicator, 4, 0);
    pvd_records.emplace_back(current_time, name);
    if (rank == 0)
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
    for (unsigned int p = 0; p < q_points.size(); ++p)
      {
        for (unsigned int k = 0; k < dim; ++k)
          result.points.push_back(q_points[p][k]);
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

    const bool     writer = write_files && rank == 0;
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
        if (writer)
          {
            std::vector<double> row = {current_time, total, outflow, trajectory.back().risk, min_rho(),
                                       double(n_cells()), last_dt};
            for (const double m : mean())
              row.push_back(m);
            diagnostics.add_row(row);
          }
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
