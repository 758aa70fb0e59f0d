// The upwind DG operator of the reduced continuity equation (and, with noise,
// the SIPG diffusion): the per-cell and per-face tables of the owned cells,
// the density weights handed to the potential, and the rate du/dt = L(u).
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/lac/full_matrix.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

namespace mfdd::pde
{
  using namespace dealii;

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
      if (!plus && reflecting_box_sides())
        face.closed = true;
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
  Solver<dim>::compute_rate(const VectorType &u, double t, VectorType &rate, const bool with_noise)
  {
    {
      TimerOutput::Scope scope(timer, "potential");
      gather_cells(owned_density_weights(u, &rho_at_q), n_q_points, density_weights);
      potential->update(density_weights);
      potential->evaluate(psi_at_points, grad_psi_at_points);
    }
    TimerOutput::Scope scope(timer, "operator");
    read_cell_values(u);
    const double velocity_factor = -2. * problem.xi(t) / problem.alpha;
    const double nu              = with_noise ? noise_coefficient(t) : 0.;

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


#define MFDD_INSTANTIATE(dim) \
  template void Solver<dim>::build_cell_tables(); \
  template void Solver<dim>::build_face_tables(std::vector<Point<dim>> &evaluation_points); \
  template void Solver<dim>::read_cell_values(const VectorType &u); \
  template std::vector<double> Solver<dim>::owned_density_weights(const VectorType &u, std::vector<double> *rho) const; \
  template double Solver<dim>::compute_rate(const VectorType &u, double t, VectorType &rate, bool with_noise);
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
