// The set-up of NodalFaceTrace: the 1D shape values at the face points, the
// position of each face's DoFs within its cell, and where the two cells of
// every face start in the vector.
#include <mfdd/pde/nodal_face_trace.h>

#include <cmath>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  bool
  NodalFaceTrace<dim>::reinit(const MatrixFree<dim, double> &matrix_free, const VectorType &vector)
  {
    lanes = VectorizedArray<double>::size();
    const internal::MatrixFreeFunctions::UnivariateShapeData<VectorizedArray<double>> &data =
      matrix_free.get_shape_info().data.front();
    const unsigned int k = data.fe_degree, n = k + 1;
    if (data.n_q_points_1d != n)
      return false;
    // Only the end nodes are non-zero at the ends: face DoFs are those on the face.
    for (unsigned int i = 0; i < n; ++i)
      if (std::abs(data.shape_data_on_face[0][i][0] - (i == 0 ? 1. : 0.)) > 1e-12 ||
          std::abs(data.shape_data_on_face[1][i][0] - (i == k ? 1. : 0.)) > 1e-12)
        return false;
    whole.resize(n * n);
    for (auto &h : half)
      h.resize(n * n);
    for (unsigned int i = 0; i < n * n; ++i)
      {
        whole[i] = data.shape_values[i][0];
        for (unsigned int s = 0; s < 2; ++s)
          half[s][i] = data.values_within_subface[s][i][0];
      }

    // Face 2d + side: the DoFs with index k * side along d; the other
    // directions in deal.II's face coordinates ((z, x) for d = 1 in 3D).
    for (unsigned int face_no = 0; face_no < 2 * dim; ++face_no)
      {
        const unsigned int d = face_no / 2, side = face_no % 2;
        unsigned int       stride[3] = {1, n, n * n};
        FaceLayout        &f         = layout[face_no];
        f.offset                     = side * k * stride[d];
        if (dim == 2)
          f.stride0 = stride[1 - d];
        if (dim == 3)
          {
            f.stride0 = stride[(d + 1) % 3];
            f.stride1 = stride[(d + 2) % 3];
          }
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
    return true;
  }

  template class NodalFaceTrace<1>;
  template class NodalFaceTrace<2>;
  template class NodalFaceTrace<3>;
} // namespace mfdd::pde
