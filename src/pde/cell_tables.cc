// The tables of the owned cells that the solver keeps besides the DG
// operator (src/pde/dg_operator.cc): quadrature points, JxW, volumes and sizes
// (density weights, limiter, diagnostics), the faces with their shape values
// for the adaptivity's jump indicator, and reading a vector's cell values.
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"
#include <mfdd/pde/tensor_contraction.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  void
  Solver<dim>::build_cell_tables()
  {
    const QGauss<dim>           quadrature(parameters.degree + 1);
    const unsigned int n_c = n_owned_cells;
    JxW.resize(n_c * n_q_points);
    q_points.resize(n_c * n_q_points);
    cell_volume.resize(n_c);
    cell_size.resize(n_c);
    basis_integrals.assign(n_c * n_dofs_per_cell, 0.);
    for (unsigned int c = 0; c < n_c; ++c)
      {
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
            JxW[c * n_q_points + q]      = jxw;
            q_points[c * n_q_points + q] = z;
            cell_volume[c] += jxw;
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              basis_integrals[c * n_dofs_per_cell + i] += shape_at_q[q * n_dofs_per_cell + i] * jxw;
          }
        cell_size[c] = cells[c]->minimum_vertex_distance();
      }
  }

  template <int dim>
  void
  Solver<dim>::build_face_tables()
  {
    // For the adaptivity's jump indicator (the operator has its own faces).
    // Every face of an owned cell once, from its minus side (see FaceData); a
    // face with a hanging node is integrated on each subface against the fine
    // neighbour. Each cell lists its faces in its own face order, so that its
    // residual adds them in the same order on any number of ranks.
    faces.clear();
    cell_faces.assign(n_owned_cells, {});
    const QGauss<dim - 1> face_quadrature(parameters.degree + 1);
    const UpdateFlags     minus_flags = update_values | update_JxW_values | update_quadrature_points;
    FEFaceValues<dim>    face_minus(fe, face_quadrature, minus_flags);
    FESubfaceValues<dim> subface_minus(fe, face_quadrature, minus_flags);
    FEFaceValues<dim>    face_plus(fe, face_quadrature, update_values | update_quadrature_points);
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
      face.shape_minus.resize(nq * n_dofs_per_cell);
      for (unsigned int q = 0; q < nq; ++q)
        {
          face.JxW.push_back(values->JxW(q));
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            face.shape_minus[q * n_dofs_per_cell + i] = values->shape_value(i, q);
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
    // Sum factorisation with the sizes known at compile time: this took the
    // potential of pde_amplitude_radius.prm (one rank) from 0.64 s to 0.51 s
    // against the n_dofs x n_q table.
    with_degree(parameters.degree, [&](auto degree) {
      constexpr unsigned int   n = decltype(degree)::value + 1, size = Utilities::pow(n, dim);
      std::array<double, size> work, values;
      for (unsigned int c = 0; c < n_owned_cells; ++c)
        {
          square_tensor_product<dim, n>(shape_1d_at_q.data(), owned_coefficients(u, c), work.data(), values.data());
          for (unsigned int q = 0; q < size; ++q)
            {
              weights[c * size + q] = values[q] * JxW[c * size + q];
              if (rho)
                (*rho)[c * size + q] = values[q];
            }
        }
    });
    return weights;
  }

#define MFDD_INSTANTIATE(dim) \
  template void Solver<dim>::build_cell_tables(); \
  template void Solver<dim>::build_face_tables(); \
  template void Solver<dim>::read_cell_values(const VectorType &u); \
  template std::vector<double> Solver<dim>::owned_density_weights(const VectorType &u, std::vector<double> *rho) const;
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
