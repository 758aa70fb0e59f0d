// The matrix-free DG operator (DgOperator) against an independent assembly
// written here with FEValues / FEFaceValues / FESubfaceValues: the same upwind
// transport and SIPG diffusion (doc/theory.md §4), cell by cell, face by face
// (from the coarse side at a hanging face), then the inverse of each cell's
// mass matrix; and the same operator assembled as a Trilinos matrix
// (assemble_dg_matrix) against M times that rate. 1D, 2D and 3D meshes with hanging faces (in 1D also two
// levels apart), degrees 1 to 3, random coefficients (large jumps), a velocity of
// both signs, with and without diffusion, one boundary side closed; the rate
// and the outflow (split into the faces counted as an axis and the others)
// must agree to 1e-11 relative.
#include <mfdd/pde/bernstein_bound.h>
#include <mfdd/pde/dg_matrix.h>
#include <mfdd/pde/dg_operator.h>
#include <mfdd/pde/tensor_point_minimum.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/tria.h>
#include <deal.II/lac/full_matrix.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace dealii;
using mfdd::pde::DgOperator;
using mfdd::pde::Outflow;

namespace
{
  template <int dim>
  Tensor<1, dim>
  velocity_at(const Point<dim> &z)
  {
    Tensor<1, dim> b;
    for (unsigned int d = 0; d < dim; ++d)
      b[d] = std::sin(z[(d + 1) % dim] + d) - 0.2;
    return b;
  }

  /// The side z_{dim-1} = 0 is closed.
  template <int dim>
  bool
  closed(const Point<dim> &z, const Tensor<1, dim> &normal, double h)
  {
    return normal[dim - 1] < -0.5 && std::abs(z[dim - 1]) <= 1e-12 * h;
  }

  /// The boundary faces whose outflow counts as Outflow::axis here (any
  /// predicate does for the test): the upper side in the first coordinate.
  template <int dim>
  bool
  counted_as_axis(const Point<dim> &, const Tensor<1, dim> &normal, double)
  {
    return normal[0] > 0.5;
  }

  /// One face (or subface) seen from both sides: the minus side's values and
  /// the plus side's (null on the boundary), points matched by position. A
  /// closed boundary face adds nothing.
  template <int dim>
  void
  add_face(const FEFaceValuesBase<dim> &minus, const FEFaceValuesBase<dim> *plus, const std::vector<double> &u_minus,
           const std::vector<double> &u_plus, const double penalty, const double nu, Vector<double> &r_minus,
           Vector<double> &r_plus, double &outflow)
  {
    const unsigned int n = minus.dofs_per_cell;
    for (unsigned int q = 0; q < minus.n_quadrature_points; ++q)
      {
        const Point<dim>     &z      = minus.quadrature_point(q);
        const Tensor<1, dim> &normal = minus.normal_vector(q);
        unsigned int          match  = 0;
        if (plus)
          for (unsigned int p = 1; p < plus->n_quadrature_points; ++p)
            if (plus->quadrature_point(p).distance(z) < plus->quadrature_point(match).distance(z))
              match = p;
        double rho_m = 0., rho_p = 0., dn_m = 0., dn_p = 0.;
        for (unsigned int i = 0; i < n; ++i)
          {
            rho_m += u_minus[i] * minus.shape_value(i, q);
            dn_m += u_minus[i] * (minus.shape_grad(i, q) * normal);
            if (plus)
              {
                rho_p += u_plus[i] * plus->shape_value(i, match);
                dn_p += u_plus[i] * (plus->shape_grad(i, match) * normal);
              }
          }
        const double bn       = velocity_at(z) * normal;
        const double jump     = rho_m - rho_p;
        const double average  = plus ? 0.5 * (dn_m + dn_p) : dn_m;
        const double flux     = bn * (bn > 0. ? rho_m : rho_p) - nu * (average - penalty * jump);
        const double symmetry = (plus ? 0.5 : 1.) * nu * jump;
        const double JxW      = minus.JxW(q);
        for (unsigned int i = 0; i < n; ++i)
          {
            r_minus(i) += (-flux * minus.shape_value(i, q) + symmetry * (minus.shape_grad(i, q) * normal)) * JxW;
            if (plus)
              r_plus(i) += (flux * plus->shape_value(i, match) + symmetry * (plus->shape_grad(i, match) * normal)) * JxW;
          }
        if (!plus)
          outflow += flux * JxW;
      }
  }

  /// The rate M^{-1} R(u) assembled here; returns the outflow.
  template <int dim>
  Outflow
  assembled_rate(const DoFHandler<dim> &dof_handler, const Vector<double> &u, const double nu, Vector<double> &rate)
  {
    const FiniteElement<dim> &fe = dof_handler.get_fe();
    const unsigned int        n  = fe.n_dofs_per_cell();
    const double              p1 = fe.degree + 1.;
    const UpdateFlags flags = update_values | update_gradients | update_quadrature_points | update_JxW_values;
    FEValues<dim>     cell_values(fe, QGauss<dim>(fe.degree + 1), flags);
    FEFaceValues<dim> face_minus(fe, QGauss<dim - 1>(fe.degree + 1), flags | update_normal_vectors);
    FEFaceValues<dim> face_plus(fe, QGauss<dim - 1>(fe.degree + 1), flags);
    FESubfaceValues<dim> subface_minus(fe, QGauss<dim - 1>(fe.degree + 1), flags | update_normal_vectors);
    std::vector<Vector<double>> residual(dof_handler.get_triangulation().n_active_cells(), Vector<double>(n));
    const auto values_of = [&](const auto &cell) {
      std::vector<types::global_dof_index> dofs(n);
      cell->get_dof_indices(dofs);
      std::vector<double> values(n);
      for (unsigned int i = 0; i < n; ++i)
        values[i] = u(dofs[i]);
      return values;
    };
    Outflow outflow;
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        const std::vector<double> u_c = values_of(cell);
        Vector<double>           &r   = residual[cell->active_cell_index()];
        cell_values.reinit(cell);
        for (unsigned int q = 0; q < cell_values.n_quadrature_points; ++q)
          {
            double         rho = 0.;
            Tensor<1, dim> grad;
            for (unsigned int j = 0; j < n; ++j)
              {
                rho += u_c[j] * cell_values.shape_value(j, q);
                grad += u_c[j] * cell_values.shape_grad(j, q);
              }
            const Tensor<1, dim> flux = rho * velocity_at(cell_values.quadrature_point(q)) - nu * grad;
            for (unsigned int i = 0; i < n; ++i)
              r(i) += flux * cell_values.shape_grad(i, q) * cell_values.JxW(q);
          }
        for (const unsigned int f : cell->face_indices())
          {
            const double h = cell->minimum_vertex_distance();
            if (cell->at_boundary(f))
              {
                face_minus.reinit(cell, f);
                if (closed(face_minus.quadrature_point(0), face_minus.normal_vector(0), h))
                  continue;
                Vector<double> unused(n);
                add_face<dim>(face_minus, nullptr, u_c, {}, p1 * p1 / h, nu, r, unused,
                              counted_as_axis(face_minus.quadrature_point(0), face_minus.normal_vector(0), h) ?
                                outflow.slot[Outflow::axis_slot] :
                                outflow.slot[f]); // face f of a box cell: side f/2, upper if f odd
                continue;
              }
            const auto neighbor = cell->neighbor(f);
            if (neighbor->has_children())
              {
                // Finer neighbour: each subface (in 1D the finest cell at the point).
                std::vector<std::pair<typename DoFHandler<dim>::active_cell_iterator, unsigned int>> fine;
                if (dim == 1)
                  {
                    auto child = neighbor;
                    while (child->has_children())
                      child = child->child(1 - f);
                    fine.emplace_back(child, 1 - f);
                  }
                else
                  for (unsigned int sub = 0; sub < cell->face(f)->n_children(); ++sub)
                    fine.emplace_back(cell->neighbor_child_on_subface(f, sub), sub);
                for (const auto &[child, sub] : fine)
                  {
                    const FEFaceValuesBase<dim> *minus = &face_minus;
                    if (dim == 1)
                      face_minus.reinit(cell, f);
                    else
                      {
                        subface_minus.reinit(cell, f, sub);
                        minus = &subface_minus;
                      }
                    face_plus.reinit(child, dim == 1 ? 1 - f : cell->neighbor_of_neighbor(f));
                    add_face<dim>(*minus, &face_plus, u_c, values_of(child),
                                  p1 * p1 / std::min(h, child->minimum_vertex_distance()), nu, r,
                                  residual[child->active_cell_index()], outflow.slot[0]); // inner: adds nothing
                  }
              }
            else if (neighbor->level() == cell->level() && cell->index() < neighbor->index())
              {
                face_minus.reinit(cell, f);
                face_plus.reinit(neighbor, cell->neighbor_of_neighbor(f));
                add_face<dim>(face_minus, &face_plus, u_c, values_of(neighbor),
                              p1 * p1 / std::min(h, neighbor->minimum_vertex_distance()), nu, r,
                              residual[neighbor->active_cell_index()], outflow.slot[0]); // inner: adds nothing
              }
          }
      }
    FullMatrix<double> mass(n, n);
    Vector<double>     local(n);
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        cell_values.reinit(cell);
        mass = 0.;
        for (unsigned int q = 0; q < cell_values.n_quadrature_points; ++q)
          for (unsigned int i = 0; i < n; ++i)
            for (unsigned int j = 0; j < n; ++j)
              mass(i, j) += cell_values.shape_value(i, q) * cell_values.shape_value(j, q) * cell_values.JxW(q);
        mass.gauss_jordan();
        mass.vmult(local, residual[cell->active_cell_index()]);
        std::vector<types::global_dof_index> dofs(n);
        cell->get_dof_indices(dofs);
        for (unsigned int i = 0; i < n; ++i)
          rate(dofs[i]) = local(i);
      }
    return outflow;
  }

  /// [-1, 1]^(dim-1) x [0, 2] with cells refined so that faces hang.
  template <int dim>
  void
  make_mesh(Triangulation<dim> &triangulation, const bool sheared)
  {
    Point<dim> lower, upper;
    for (unsigned int d = 0; d < dim; ++d)
      {
        lower[d] = d + 1 == dim ? 0. : -1.;
        upper[d] = d + 1 == dim ? 2. : 1.;
      }
    GridGenerator::subdivided_hyper_rectangle(triangulation, std::vector<unsigned int>(dim, dim == 1 ? 8 : 4), lower, upper);
    // Parallelograms: J^{-1} n has tangential components, so the normal
    // derivatives on the faces need the tangential derivatives too.
    if (sheared)
      GridTools::transform(
        [](Point<dim> z) {
          z[0] += 0.3 * z[dim - 1];
          if (dim == 3)
            z[1] += 0.2 * z[0];
          return z;
        },
        triangulation);
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->active_cell_index() % 5 == 2)
        cell->set_refine_flag();
    triangulation.execute_coarsening_and_refinement();
    if (dim == 1) // two levels apart across a face
      {
        for (const auto &cell : triangulation.active_cell_iterators())
          if (cell->level() == 1 && cell->active_cell_index() % 4 == 0)
            cell->set_refine_flag();
        triangulation.execute_coarsening_and_refinement();
      }
  }

  template <int dim>
  void
  check(const unsigned int degree, const double nu, const bool set_up_with_diffusion, const bool sheared = false,
        const bool nodal_face_values = true)
  {
    Triangulation<dim> triangulation;
    make_mesh(triangulation, sheared);
    ASSERT_TRUE(triangulation.has_hanging_nodes() || dim == 1);
    const FE_DGQ<dim> fe(degree);
    DoFHandler<dim>   dof_handler(triangulation);
    dof_handler.distribute_dofs(fe);

    DgOperator<dim> dg;
    dg.reinit(dof_handler, &closed<dim>, &counted_as_axis<dim>, set_up_with_diffusion, nodal_face_values);
    std::vector<Tensor<1, dim>> velocity;
    for (const auto &z : dg.evaluation_points())
      velocity.push_back(velocity_at(z));

    typename DgOperator<dim>::VectorType u(dof_handler.locally_owned_dofs(), MPI_COMM_SELF), rate(u);
    Vector<double>                       u_serial(dof_handler.n_dofs()), expected(dof_handler.n_dofs());
    std::mt19937                         random(7);
    std::uniform_real_distribution<>     uniform(-1., 1.);
    for (unsigned int i = 0; i < dof_handler.n_dofs(); ++i)
      u_serial(i) = u.begin()[i] = uniform(random);
    const Outflow outflow          = dg.apply(u, velocity, nu, rate);
    const Outflow expected_outflow = assembled_rate(dof_handler, u_serial, nu, expected);

    double size = 0., difference = 0.;
    for (unsigned int i = 0; i < dof_handler.n_dofs(); ++i)
      {
        size       = std::max(size, std::abs(expected(i)));
        difference = std::max(difference, std::abs(expected(i) - rate.begin()[i]));
      }
    EXPECT_GT(size, 1.);
    EXPECT_LT(difference, 1e-11 * size) << "dim " << dim << " degree " << degree << " nu " << nu << " sheared " << sheared
                                        << " nodal " << nodal_face_values;
    // In 1D the only open side is the one counted as an axis.
    if (dim > 1)
      {
        EXPECT_GT(std::abs(expected_outflow.box_sides()), 1e-3);
      }
    EXPECT_GT(std::abs(expected_outflow.axis()), 1e-3);
    for (unsigned int s = 0; s < expected_outflow.slot.size(); ++s)
      EXPECT_NEAR(outflow.slot[s], expected_outflow.slot[s], 1e-11 * std::abs(expected_outflow.total())) << "slot " << s;

    // The same operator as a Trilinos matrix (assemble_dg_matrix): A u = M rate,
    // and its outflow rows sum to the outflow.
    TrilinosWrappers::SparseMatrix                             matrix, mass;
    std::array<TrilinosWrappers::MPI::Vector, 2 * dim>         outflow_rows;
    mfdd::pde::assemble_dg_matrix<dim>(dof_handler, dof_handler.locally_owned_dofs(), MPI_COMM_SELF, &velocity_at<dim>,
                                       nu, &closed<dim>, matrix, &mass, &outflow_rows);
    auto product = u, mass_times_rate = u;
    matrix.vmult(product, u);
    mass.vmult(mass_times_rate, rate);
    double matrix_size = 0., matrix_difference = 0.;
    for (unsigned int i = 0; i < dof_handler.n_dofs(); ++i)
      {
        matrix_size       = std::max(matrix_size, std::abs(mass_times_rate.begin()[i]));
        matrix_difference = std::max(matrix_difference, std::abs(product.begin()[i] - mass_times_rate.begin()[i]));
      }
    EXPECT_GT(matrix_size, 1e-2);
    EXPECT_LT(matrix_difference, 1e-11 * matrix_size) << "matrix: dim " << dim << " degree " << degree << " nu " << nu;
    double matrix_outflow = 0.;
    for (const auto &row : outflow_rows)
      matrix_outflow += row * u;
    EXPECT_NEAR(matrix_outflow, expected_outflow.total(), 1e-11 * std::abs(expected_outflow.total()));
  }
} // namespace

TEST(PdeOperator, TransportMatchesAssembly1d)
{
  for (const unsigned int degree : {1u, 2u, 3u})
    check<1>(degree, 0., false);
}

// Every degree PDE/Degree allows: without noise the faces go through NodalFaceTrace.
TEST(PdeOperator, TransportMatchesAssembly2d)
{
  for (const unsigned int degree : {1u, 2u, 3u, 4u, 5u})
    check<2>(degree, 0., false);
}

TEST(PdeOperator, DiffusionMatchesAssembly1d)
{
  for (const unsigned int degree : {1u, 2u, 3u})
    check<1>(degree, 0.3, true);
}

TEST(PdeOperator, DiffusionMatchesAssembly2d)
{
  for (const unsigned int degree : {1u, 2u, 3u})
    check<2>(degree, 0.3, true);
}

TEST(PdeOperator, MatchesAssembly3d)
{
  for (const unsigned int degree : {1u, 2u})
    {
      check<3>(degree, 0., false);
      check<3>(degree, 0.3, true);
    }
}

// On sheared cells (parallelograms, parallelepipeds) with hanging faces.
TEST(PdeOperator, MatchesAssemblyOnShearedCells)
{
  for (const double nu : {0., 0.3})
    {
      for (const unsigned int degree : {1u, 2u, 3u})
        check<2>(degree, nu, nu > 0., true);
      check<3>(2, nu, nu > 0., true);
    }
}

// The FEFaceEvaluation faces (meshes with faces in non-standard orientation).
TEST(PdeOperator, FaceEvaluationPathMatchesAssembly)
{
  for (const double nu : {0., 0.3})
    {
      check<1>(2, nu, nu > 0., false, false);
      check<2>(2, nu, nu > 0., true, false);
      check<3>(1, nu, nu > 0., false, false);
    }
}

// with_noise = false: an operator set up for diffusion applied with nu = 0.
TEST(PdeOperator, WithoutNoiseIsPureTransport)
{
  check<1>(2, 0., true);
  check<2>(2, 0., true);
}

namespace
{
  /// The limiter's cell-minimum tools against FE_DGQ<dim>'s own shape
  /// functions at every point: the sum-factorised minimum over tensor sets
  /// equals the point-by-point one, and the Bernstein bound lies below the
  /// polynomial on a dense grid and is exact for a constant.
  template <int dim>
  void
  check_cell_minimum(const unsigned int degree)
  {
    const FE_DGQ<dim>                                         fe(degree);
    std::vector<typename mfdd::pde::TensorPointMinimum<dim>::PointSet> sets(2);
    sets[0].fill({0.1, 0.5, 0.8});
    sets[1].fill({0., 0.3});
    sets[1][0] = {0.25, 0.6, 0.7, 1.};
    const mfdd::pde::TensorPointMinimum<dim> tensor_minimum(degree, sets);
    const mfdd::pde::BernsteinBound<dim>     bound(degree);
    const auto                               points = tensor_minimum.points();
    EXPECT_EQ(points.size(), std::pow(3, dim) + 4 * std::pow(2, dim - 1));
    std::mt19937                           random(7 + degree);
    std::uniform_real_distribution<double> uniform(-1., 2.);
    std::vector<double>                    u(fe.n_dofs_per_cell());
    for (unsigned int trial = 0; trial < 20; ++trial)
      {
        for (double &c : u)
          c = uniform(random);
        const auto value = [&](const Point<dim> &p) {
          double sum = 0.;
          for (unsigned int i = 0; i < u.size(); ++i)
            sum += u[i] * fe.shape_value(i, p);
          return sum;
        };
        double direct = 1e300;
        for (const auto &p : points)
          direct = std::min(direct, value(p));
        EXPECT_NEAR(tensor_minimum.minimum(u.data()), direct, 1e-13) << "dim " << dim << " degree " << degree;
        const double lower = bound.lower_bound(u.data());
        const QIterated<dim> grid(QTrapezoid<1>(), 10);
        for (const auto &p : grid.get_points())
          EXPECT_LE(lower, value(p) + 1e-13) << "dim " << dim << " degree " << degree;
      }
    std::fill(u.begin(), u.end(), 0.7);
    EXPECT_NEAR(bound.lower_bound(u.data()), 0.7, 1e-13);
  }
} // namespace

TEST(PdeLimiterPoints, MinimumAndBernsteinBound)
{
  for (const unsigned int degree : {1u, 2u, 3u, 5u})
    {
      check_cell_minimum<1>(degree);
      check_cell_minimum<2>(degree);
      check_cell_minimum<3>(degree);
    }
}
