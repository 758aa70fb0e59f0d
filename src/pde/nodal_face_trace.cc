// The set-up of NodalFaceTrace: the 1D shape values at the face points, the
// position of each face's DoFs within its cell, where the two cells of every
// face start in the vector, and c = J^{-1} n at every face point.
#include <mfdd/pde/nodal_face_trace.h>

#include <deal.II/matrix_free/fe_evaluation.h>

#include <cmath>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  bool
  NodalFaceTrace<dim>::reinit(const MatrixFree<dim, double> &matrix_free, const VectorType &vector,
                              const bool with_gradients)
  {
    lanes = VectorizedArray<double>::size();
    const dealii::internal::MatrixFreeFunctions::UnivariateShapeData<VectorizedArray<double>> &data =
      matrix_free.get_shape_info().data.front();
    const unsigned int k = data.fe_degree, n = k + 1;
    if (data.n_q_points_1d != n)
      return false;
    // Only the end nodes are non-zero at the ends: face DoFs are those on the face.
    for (unsigned int i = 0; i < n; ++i)
      if (std::abs(data.shape_data_on_face[0][i][0] - (i == 0 ? 1. : 0.)) > 1e-12 ||
          std::abs(data.shape_data_on_face[1][i][0] - (i == k ? 1. : 0.)) > 1e-12)
        return false;
    for (unsigned int gradients = 0; gradients < 2; ++gradients)
      for (unsigned int part = 0; part < 3; ++part)
        {
          const auto &table = gradients ? (part == 2 ? data.shape_gradients : data.gradients_within_subface[part]) :
                                          (part == 2 ? data.shape_values : data.values_within_subface[part]);
          for (unsigned int transposed = 0; transposed < 2; ++transposed)
            {
              std::vector<double> &target = shape_tables[2 * gradients + transposed][part];
              target.resize(n * n);
              for (unsigned int i = 0; i < n; ++i)
                for (unsigned int q = 0; q < n; ++q)
                  target[transposed ? i * n + q : q * n + i] = table[i * n + q][0];
            }
        }
    for (unsigned int end = 0; end < 2; ++end)
      {
        end_derivative[end].resize(n);
        for (unsigned int i = 0; i < n; ++i)
          end_derivative[end][i] = data.shape_data_on_face[end][n + i][0];
      }
    n_points = Utilities::pow(n, dim - 1);

    // Face 2d + side: the DoFs with index k * side along d; the other
    // directions in deal.II's face coordinates ((z, x) for d = 1 in 3D).
    for (unsigned int face_no = 0; face_no < 2 * dim; ++face_no)
      {
        const unsigned int d = face_no / 2, side = face_no % 2;
        const unsigned int stride[3] = {1, n, n * n};
        FaceLayout        &f         = layout[face_no];
        f.offset                     = side * k * stride[d];
        f.normal_stride              = stride[d];
        f.direction0                 = dim == 3 ? (d + 1) % 3 : 1 - d;
        f.direction1                 = (d + 2) % 3;
        if (dim > 1)
          f.stride0 = stride[f.direction0];
        if (dim > 2)
          f.stride1 = stride[f.direction1];
      }

    const unsigned int n_faces = matrix_free.n_inner_face_batches() + matrix_free.n_boundary_face_batches();
    const unsigned int n_dofs  = matrix_free.get_dof_handler().get_fe().n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n_dofs);
    const auto first_local_dof = [&](const typename DoFHandler<dim>::cell_iterator &cell, unsigned int &first) {
      cell->get_dof_indices(dofs);
      const auto &partitioner = *vector.get_partitioner();
      first                   = partitioner.global_to_local(dofs[0]);
      for (unsigned int i = 1; i < n_dofs; ++i)
        if (partitioner.global_to_local(dofs[i]) != first + i)
          return false;
      return true;
    };
    sides.assign(2 * n_faces * lanes, Side());
    for (unsigned int face = 0; face < n_faces; ++face)
      {
        const auto &info = matrix_free.get_face_info(face);
        for (unsigned int v = 0; v < matrix_free.n_active_entries_per_face_batch(face); ++v)
          {
            if (info.face_orientation != 0)
              return false;
            Side *face_sides      = &sides[2 * (face * lanes + v)];
            face_sides[0].face_no = info.interior_face_no;
            face_sides[0].subface = GeometryInfo<dim>::max_children_per_cell;
            if (!first_local_dof(matrix_free.get_face_iterator(face, v, true).first, face_sides[0].first_dof))
              return false;
            if (face < matrix_free.n_inner_face_batches())
              {
                face_sides[1].face_no = info.exterior_face_no;
                face_sides[1].subface = info.subface_index;
                if (!first_local_dof(matrix_free.get_face_iterator(face, v, false).first, face_sides[1].first_dof))
                  return false;
              }
          }
      }
    normal_coefficients.clear();
    if (with_gradients)
      collect_normal_coefficients(matrix_free);
    return true;
  }

  template <int dim>
  void
  NodalFaceTrace<dim>::collect_normal_coefficients(const MatrixFree<dim, double> &matrix_free)
  {
    // c_j = n . grad xi_j: the normal derivative of the FE function equal to
    // the reference coordinate xi_j in each cell (its nodes' coordinates).
    const unsigned int n_inner = matrix_free.n_inner_face_batches();
    const unsigned int n_faces = n_inner + matrix_free.n_boundary_face_batches();
    normal_coefficients.assign(sides.size() * n_points, {});
    const auto                          &dof_handler = matrix_free.get_dof_handler();
    const std::vector<Point<dim>>       &nodes       = dof_handler.get_fe().get_unit_support_points();
    std::vector<types::global_dof_index> dofs(nodes.size());
    VectorType                           xi;
    matrix_free.initialize_dof_vector(xi);
    FEFaceEvaluation<dim, -1>                  minus(matrix_free, true), plus(matrix_free, false);
    const std::array<FEFaceEvaluation<dim, -1> *, 2> phi = {{&minus, &plus}};
    for (unsigned int j = 0; j < dim; ++j)
      {
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              cell->get_dof_indices(dofs);
              for (unsigned int i = 0; i < dofs.size(); ++i)
                xi(dofs[i]) = nodes[i][j];
            }
        xi.update_ghost_values();
        for (unsigned int face = 0; face < n_faces; ++face)
          for (unsigned int side = 0; side < (face < n_inner ? 2u : 1u); ++side)
            {
              phi[side]->reinit(face);
              phi[side]->gather_evaluate(xi, EvaluationFlags::gradients);
              for (unsigned int v = 0; v < matrix_free.n_active_entries_per_face_batch(face); ++v)
                {
                  const unsigned int slot = 2 * (face * lanes + v) + side;
                  const unsigned int face_no = sides[slot].face_no;
                  // The order (normal, face direction 0, face direction 1).
                  const unsigned int position = j == face_no / 2 ? 0 : j == layout[face_no].direction0 ? 1 : 2;
                  for (unsigned int q = 0; q < n_points; ++q)
                    normal_coefficients[slot * n_points + q][position] = phi[side]->get_normal_derivative(q)[v];
                }
            }
        xi.zero_out_ghost_values();
      }
  }

  template class NodalFaceTrace<1>;
  template class NodalFaceTrace<2>;
  template class NodalFaceTrace<3>;
} // namespace mfdd::pde
