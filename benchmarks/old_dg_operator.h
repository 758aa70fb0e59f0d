// The table-based DG operator that src/pde/dg_operator.cc (MatrixFree)
// replaced, kept only as the baseline of `pde_benchmark --operator`: per-cell
// tables of JxW-weighted shape gradients and inverse mass matrices, per-face
// tables of shape values (serial; one slot per active cell).
#pragma once

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

namespace benchmark
{
  using namespace dealii;

  inline double
  polynomial_value(const double *coefficients, const double *shape, const unsigned int n_dofs)
  {
    double value = 0.;
    for (unsigned int i = 0; i < n_dofs; ++i)
      value += coefficients[i] * shape[i];
    return value;
  }

  template <int dim>
  class OldDgOperator
  {
  public:
    using VectorType = TrilinosWrappers::MPI::Vector;
    using ClosedBoundary = std::function<bool(const Point<dim> &, const Tensor<1, dim> &, double)>;

    OldDgOperator(const DoFHandler<dim> &dof_handler, const ClosedBoundary &closed, const bool noisy)
      : fe(dof_handler.get_fe())
      , degree(fe.degree)
      , n_dofs_per_cell(fe.n_dofs_per_cell())
      , n_q_points(QGauss<dim>(degree + 1).size())
    {
      for (const auto &cell : dof_handler.active_cell_iterators())
        cells.push_back(cell);
      n_cells = cells.size();
      build_cell_tables();
      evaluation_points = q_points;
      build_face_tables(closed, noisy);
      face_flux.resize(faces.size() * QGauss<dim - 1>(degree + 1).size());
      face_symmetry.resize(face_flux.size());
    }

    /// The cells' quadrature points, then the faces'.
    std::vector<Point<dim>> evaluation_points;

    /// rho at the cells' quadrature points (the solver computed it with the density weights).
    void
    set_rho_at_q(const VectorType &u)
    {
      rho_at_q.resize(n_cells * n_q_points);
      for (unsigned int c = 0; c < n_cells; ++c)
        for (unsigned int q = 0; q < n_q_points; ++q)
          rho_at_q[c * n_q_points + q] =
            polynomial_value(u.begin() + c * n_dofs_per_cell, &shape_at_q[q * n_dofs_per_cell], n_dofs_per_cell);
    }

    /// The rate for @p velocity at evaluation_points; returns the outflow rate.
    double
    apply(const VectorType &u, const std::vector<Tensor<1, dim>> &velocity, const double nu, VectorType &rate)
    {
      const std::vector<double> &cell_values = cell_values_of(u);
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
            const double bn        = velocity[face.first_point + q] * face.normal[q];
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
    for (unsigned int c = 0; c < n_cells; ++c)
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
            Tensor<1, dim> flux = rho_at_q[c * n_q_points + q] * velocity[c * n_q_points + q];
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
        double       *value = rate.begin() + c * n_dofs_per_cell;
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          {
            value[i] = 0.;
            for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
              value[i] += minv[i * n_dofs_per_cell + j] * residual[j];
          }
      }
      return outflow_rate;
    }

  private:
    using active_cell_iterator = typename DoFHandler<dim>::active_cell_iterator;
    struct FaceData
    {
      unsigned int                cell_minus, cell_plus;
      unsigned int                first_point;
      std::vector<double>         JxW;
      std::vector<Tensor<1, dim>> normal;
      std::vector<double>         shape_minus, shape_plus;
      std::vector<double>         normal_derivative_minus, normal_derivative_plus;
      double                      penalty = 0.;
      bool                        closed  = false;
    };

    const std::vector<double> &
    cell_values_of(const VectorType &u)
    {
      cell_values.assign(u.begin(), u.end());
      return cell_values;
    }

    unsigned int
    slot_of(const active_cell_iterator &cell) const
    {
      return cell->active_cell_index();
    }

    void
    build_cell_tables()
    {
      const QGauss<dim>           quadrature(degree + 1);
      std::vector<Tensor<1, dim>> reference_gradients;
      for (unsigned int q = 0; q < n_q_points; ++q)
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          {
            reference_gradients.push_back(fe.shape_grad(i, quadrature.point(q)));
            shape_at_q.push_back(fe.shape_value(i, quadrature.point(q)));
          }
      JxW.resize(n_cells * n_q_points);
      q_points.resize(n_cells * n_q_points);
      grad_shape_JxW.resize(n_cells * n_q_points * n_dofs_per_cell * dim);
      inverse_mass.resize(n_cells * n_dofs_per_cell * n_dofs_per_cell);
      FullMatrix<double> mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
      for (unsigned int c = 0; c < n_cells; ++c)
        {
          mass_matrix = 0.;
          for (unsigned int q = 0; q < n_q_points; ++q)
            {
              const Point<dim> &unit = quadrature.point(q);
              Point<dim>        z;
              Tensor<2, dim>    jacobian;
              for (const unsigned int v : GeometryInfo<dim>::vertex_indices())
                {
                  z += GeometryInfo<dim>::d_linear_shape_function(unit, v) * cells[c]->vertex(v);
                  jacobian +=
                    outer_product(cells[c]->vertex(v), GeometryInfo<dim>::d_linear_shape_function_gradient(unit, v));
                }
              const double         jxw               = std::abs(determinant(jacobian)) * quadrature.weight(q);
              const Tensor<2, dim> inverse_transpose = transpose(invert(jacobian));
              JxW[c * n_q_points + q]      = jxw;
              q_points[c * n_q_points + q] = z;
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
        }
    }

    void
    build_face_tables(const ClosedBoundary &closed, const bool noisy)
    {
      cell_faces.assign(n_cells, {});
      const QGauss<dim - 1> face_quadrature(degree + 1);
      const UpdateFlags     gradients = noisy ? update_gradients : update_default;
      const UpdateFlags     minus_flags =
        update_values | update_JxW_values | update_normal_vectors | update_quadrature_points | gradients;
      FEFaceValues<dim>    face_minus(fe, face_quadrature, minus_flags);
      FESubfaceValues<dim> subface_minus(fe, face_quadrature, minus_flags);
      FEFaceValues<dim>    face_plus(fe, face_quadrature, update_values | update_quadrature_points | gradients);
      const unsigned int   none = numbers::invalid_unsigned_int;
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
          face.penalty = (degree + 1.) * (degree + 1.) / h;
        }
      if (!plus)
        face.closed = closed(values->quadrature_point(0), face.normal[0], minus.cell->minimum_vertex_distance());
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
    for (unsigned int c = 0; c < n_cells; ++c)
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


    const FiniteElement<dim>          &fe;
    const unsigned int                 degree, n_dofs_per_cell, n_q_points;
    unsigned int                       n_cells;
    std::vector<active_cell_iterator>  cells;
    std::vector<double>                shape_at_q, JxW, grad_shape_JxW, inverse_mass;
    std::vector<Point<dim>>            q_points;
    std::vector<std::vector<std::pair<unsigned int, bool>>> cell_faces;
    std::vector<FaceData>              faces;
    std::vector<double>                cell_values, rho_at_q, face_flux, face_symmetry;
  };
} // namespace benchmark
