#pragma once

#include <deal.II/base/exceptions.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/matrix_free/matrix_free.h>

#include <mfdd/pde/tensor_contraction.h>

#include <array>
#include <vector>

namespace mfdd::pde
{
  /**
   * The values (and, for the diffusion, the normal derivatives) of an FE_DGQ
   * function at the quadrature points of the faces that a MatrixFree object
   * loops over, and the transposed operation (adding values at the face
   * points, tested with the traces of the shape functions and of their
   * normal derivatives, into the cells), for the face terms of the DG operator.
   *
   * FE_DGQ's nodes include the ends of the unit interval, so on a face only
   * the (degree + 1)^(dim - 1) DoFs on that face are non-zero; their trace is
   * the tensor product of the 1D shape values at the Gauss points (at the
   * points of the half interval on the coarse side of a face between
   * refinement levels). The normal derivative needs the derivative of the 1D
   * basis at the end along the lines normal to the face, and the tangential
   * derivatives of the trace; n . grad u = sum_j c_j d u / d xi_j with c =
   * J^{-1} n at each face point and side, which reinit() takes from
   * FEFaceEvaluation (the normal derivative of u = xi_j), so the mapping,
   * hanging faces and the normal's direction are deal.II's. This class reads
   * the DoFs straight from the vector with the degree a template argument.
   *
   * Why by hand: deal.II 9.4 as Debian builds it has one lane per
   * VectorizedArray and its face kernels (FEFaceEvaluation::gather_evaluate,
   * integrate_scatter) precompiled in the library; they took about half of
   * the DG operator's time. On 48 x 48 cells, one rank, no noise, the
   * operator went from 0.218, 0.235, 0.350 to 0.110, 0.125, 0.244
   * microseconds per cell and application at degree 1, 2, 3 with this class,
   * and from 0.088 to 0.043 in 1D at degree 2 on 200 cells; with noise
   * (nu = 0.05) from 0.32, 0.38, 0.56 to 0.15, 0.21, 0.36
   * (`build/benchmarks/pde_benchmark --operator`, 2026-12-08).
   *
   * The face points are in MatrixFree's order (the interior side's
   * lexicographic face coordinates, (z, x) on the faces normal to y in 3D);
   * reinit() refuses (returns false) meshes where a face is not in standard
   * orientation on both sides, and elements whose nodes are not at the ends.
   */
  template <int dim>
  class NodalFaceTrace
  {
  public:
    using VectorType = dealii::LinearAlgebra::distributed::Vector<double>;

    /// Sets up for the faces of @p matrix_free (FE_DGQ, lexicographic DoFs,
    /// Gauss quadrature with degree + 1 points) and the local layout of
    /// @p vector (owned, then ghost entries), with the normal derivatives if
    /// @p with_gradients; false where this class does not apply (see above).
    bool
    reinit(const dealii::MatrixFree<dim, double> &matrix_free, const VectorType &vector, bool with_gradients);

    /// The values of @p u at the points of lane @p v of face batch @p face
    /// on side 0 (interior) and, if @p both_sides, side 1 (exterior):
    /// values[side * n_points + q]; with @p normal_derivatives (same layout;
    /// only after reinit() with gradients) also n . grad u, n the interior
    /// side's normal on both sides.
    template <int degree>
    void
    evaluate(const VectorType &u, unsigned int face, unsigned int v, bool both_sides, double *values,
             double *normal_derivatives = nullptr) const;

    /// Adds to @p out, for lane @p v of face batch @p face, the sums over the
    /// face points of values[side * n_points + q] times the side's shape
    /// functions and, with @p normal_derivatives, of those times the shape
    /// functions' normal derivatives, for side 0 and, if @p both_sides, side 1.
    template <int degree>
    void
    integrate(const double *values, const double *normal_derivatives, unsigned int face, unsigned int v,
              bool both_sides, VectorType &out) const;

  private:
    /// One side of a face: where the cell's DoFs start in the vector, which of
    /// its faces it is, and the subface (max_children_per_cell: the whole face).
    struct Side
    {
      unsigned int  first_dof = 0;
      unsigned char face_no   = 0;
      unsigned char subface   = 0;
    };

    /// The position of face DoF (j0, j1) of face @p face_no in the cell's
    /// lexicographic DoFs: offset + j0 * stride0 + j1 * stride1; DoF i of
    /// the line normal to the face through it: j0 * stride0 + j1 * stride1 +
    /// i * normal_stride. Face directions 0 and 1 are the coordinates
    /// direction0 and direction1.
    struct FaceLayout
    {
      unsigned int offset = 0, stride0 = 0, stride1 = 0, normal_stride = 0;
      unsigned int direction0 = 0, direction1 = 0;
    };

    void
    collect_normal_coefficients(const dealii::MatrixFree<dim, double> &matrix_free);
    template <int degree, bool gradients>
    void
    side_evaluate(const double *u, unsigned int slot, double *values, double *normal_derivatives) const;
    template <int degree, bool gradients>
    void
    side_integrate(const double *values, const double *normal_derivatives, unsigned int slot, double *out) const;
    /// The 1D shape values (@p gradients: their derivatives) at the Gauss
    /// points of face direction @p direction on @p side as the matrix that
    /// evaluates ([q * n + i]) or, @p transposed, integrates ([i * n + q]).
    const double *
    shape_1d(const Side &side, const unsigned int direction, const bool gradients, const bool transposed = false) const
    {
      const unsigned int part = side.subface >= dealii::GeometryInfo<dim>::max_children_per_cell ?
                                  2 :
                                  (direction == 0 ? side.subface % 2 : side.subface / 2);
      return shape_tables[2 * int(gradients) + int(transposed)][part].data();
    }

    unsigned int                    lanes = 1, n_points = 0;
    std::array<FaceLayout, 2 * dim> layout;
    /// [2 * gradients + transposed][part]: values or derivatives, to evaluate
    /// or (transposed) to integrate; part 0, 1: on the halves of the interval,
    /// 2: on the whole interval.
    std::array<std::array<std::vector<double>, 3>, 4> shape_tables;
    /// [side of the cell][i]: the derivative of the 1D shape function i at 0 or 1.
    std::array<std::vector<double>, 2> end_derivative;
    /// [slot = 2 * (face * lanes + v) + side].
    std::vector<Side> sides;
    /// [slot * n_points + q]: c = J^{-1} n in the order (normal, face direction 0, 1).
    std::vector<std::array<double, dim>> normal_coefficients;
  };

  namespace internal
  {
    /// out = (A1 x A0) in over a face of n^face_dim points, A0 along the first
    /// face direction, the matrices row-major ([row * n + column]).
    template <int face_dim, unsigned int n>
    inline void
    face_apply(const double *a0, const double *a1, const double *in, double *out)
    {
      if constexpr (face_dim == 0)
        out[0] = in[0];
      else if constexpr (face_dim == 1)
        contract_square<n, 1, 1>(a0, in, out);
      else
        {
          double partial[n * n];
          contract_square<n, 1, n>(a0, in, partial);
          contract_square<n, n, 1>(a1, partial, out);
        }
    }
  } // namespace internal

  template <int dim>
  template <int degree, bool gradients>
  inline void
  NodalFaceTrace<dim>::side_evaluate(const double *u, const unsigned int slot, double *values,
                                     double *normal_derivatives) const
  {
    constexpr unsigned int n = degree + 1, n_face = dealii::Utilities::pow(n, dim - 1);
    const Side            &side = sides[slot];
    const FaceLayout      &f    = layout[side.face_no];
    const double          *cell = u + side.first_dof;
    double                 face_values[n_face];
    for (unsigned int j = 0; j < n_face; ++j)
      face_values[j] = cell[f.offset + (j % n) * f.stride0 + (j / n) * f.stride1];
    const double *s0 = shape_1d(side, 0, false), *s1 = shape_1d(side, 1, false);
    internal::face_apply<dim - 1, n>(s0, s1, face_values, values);
    if constexpr (!gradients)
      return;
    // d/dxi along the normal at the face's nodes, then at its points.
    const double *end = end_derivative[side.face_no % 2].data();
    double        face_normal[n_face], normal[n_face], tangential[n_face];
    for (unsigned int j = 0; j < n_face; ++j)
      {
        const double *line = cell + (j % n) * f.stride0 + (j / n) * f.stride1;
        double        sum  = 0.;
        for (unsigned int i = 0; i < n; ++i)
          sum += end[i] * line[i * f.normal_stride];
        face_normal[j] = sum;
      }
    internal::face_apply<dim - 1, n>(s0, s1, face_normal, normal);
    const std::array<double, dim> *c = &normal_coefficients[slot * n_points];
    for (unsigned int q = 0; q < n_face; ++q)
      normal_derivatives[q] = c[q][0] * normal[q];
    if constexpr (dim > 1)
      {
        internal::face_apply<dim - 1, n>(shape_1d(side, 0, true), s1, face_values, tangential);
        for (unsigned int q = 0; q < n_face; ++q)
          normal_derivatives[q] += c[q][1] * tangential[q];
      }
    if constexpr (dim > 2)
      {
        internal::face_apply<dim - 1, n>(s0, shape_1d(side, 1, true), face_values, tangential);
        for (unsigned int q = 0; q < n_face; ++q)
          normal_derivatives[q] += c[q][2] * tangential[q];
      }
  }

  template <int dim>
  template <int degree, bool gradients>
  inline void
  NodalFaceTrace<dim>::side_integrate(const double *values, const double *normal_derivatives, const unsigned int slot,
                                      double *out) const
  {
    constexpr unsigned int n = degree + 1, n_face = dealii::Utilities::pow(n, dim - 1);
    const Side            &side = sides[slot];
    const FaceLayout      &f    = layout[side.face_no];
    double                *cell = out + side.first_dof;
    // The transposes of side_evaluate()'s steps, in reverse order.
    const double *s0 = shape_1d(side, 0, false, true), *s1 = shape_1d(side, 1, false, true);
    double        face_values[n_face];
    internal::face_apply<dim - 1, n>(s0, s1, values, face_values);
    if constexpr (gradients)
      {
        const std::array<double, dim> *c = &normal_coefficients[slot * n_points];
        double                         weighted[n_face], face_normal[n_face], tangential[n_face];
        if constexpr (dim > 1)
          {
            for (unsigned int q = 0; q < n_face; ++q)
              weighted[q] = c[q][1] * normal_derivatives[q];
            internal::face_apply<dim - 1, n>(shape_1d(side, 0, true, true), s1, weighted, tangential);
            for (unsigned int j = 0; j < n_face; ++j)
              face_values[j] += tangential[j];
          }
        if constexpr (dim > 2)
          {
            for (unsigned int q = 0; q < n_face; ++q)
              weighted[q] = c[q][2] * normal_derivatives[q];
            internal::face_apply<dim - 1, n>(s0, shape_1d(side, 1, true, true), weighted, tangential);
            for (unsigned int j = 0; j < n_face; ++j)
              face_values[j] += tangential[j];
          }
        for (unsigned int q = 0; q < n_face; ++q)
          weighted[q] = c[q][0] * normal_derivatives[q];
        internal::face_apply<dim - 1, n>(s0, s1, weighted, face_normal);
        const double *end = end_derivative[side.face_no % 2].data();
        for (unsigned int j = 0; j < n_face; ++j)
          {
            double *line = cell + (j % n) * f.stride0 + (j / n) * f.stride1;
            for (unsigned int i = 0; i < n; ++i)
              line[i * f.normal_stride] += end[i] * face_normal[j];
          }
      }
    for (unsigned int j = 0; j < n_face; ++j)
      cell[f.offset + (j % n) * f.stride0 + (j / n) * f.stride1] += face_values[j];
  }

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::evaluate(const VectorType &u, const unsigned int face, const unsigned int v,
                                const bool both_sides, double *values, double *normal_derivatives) const
  {
    const unsigned int slot = 2 * (face * lanes + v);
    for (unsigned int s = 0; s < (both_sides ? 2u : 1u); ++s)
      if (normal_derivatives)
        side_evaluate<degree, true>(u.begin(), slot + s, values + s * n_points, normal_derivatives + s * n_points);
      else
        side_evaluate<degree, false>(u.begin(), slot + s, values + s * n_points, nullptr);
  }

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::integrate(const double *values, const double *normal_derivatives, const unsigned int face,
                                 const unsigned int v, const bool both_sides, VectorType &out) const
  {
    const unsigned int slot = 2 * (face * lanes + v);
    for (unsigned int s = 0; s < (both_sides ? 2u : 1u); ++s)
      if (normal_derivatives)
        side_integrate<degree, true>(values + s * n_points, normal_derivatives + s * n_points, slot + s, out.begin());
      else
        side_integrate<degree, false>(values + s * n_points, nullptr, slot + s, out.begin());
  }
} // namespace mfdd::pde
