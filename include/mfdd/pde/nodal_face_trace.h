#pragma once

#include <deal.II/base/exceptions.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/matrix_free/matrix_free.h>

#include <array>
#include <vector>

namespace mfdd::pde
{
  /**
   * The values of an FE_DGQ function at the quadrature points of the faces
   * that a MatrixFree object loops over, and the transposed operation (adding
   * values at the face points, tested with the traces of the shape
   * functions, into the cells), for the transport part of the DG operator.
   *
   * FE_DGQ's nodes include the ends of the unit interval, so on a face only
   * the (degree + 1)^(dim - 1) DoFs on that face are non-zero; their trace is
   * the tensor product of the 1D shape values at the Gauss points (at the
   * points of the half interval on the coarse side of a face between
   * refinement levels). This class reads those DoFs straight from the vector
   * with the degree a template argument.
   *
   * Why by hand: deal.II 9.4 as Debian builds it has one lane per
   * VectorizedArray and its face kernels (FEFaceEvaluation::gather_evaluate,
   * integrate_scatter) precompiled in the library; they took about half of
   * the DG operator's time. On 48 x 48 cells, one rank, no noise, the
   * operator went from 0.218, 0.235, 0.350 to 0.110, 0.125, 0.244
   * microseconds per cell and application at degree 1, 2, 3 with this class,
   * and from 0.088 to 0.043 in 1D at degree 2 on 200 cells
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
    /// @p vector (owned, then ghost entries); false where this class does
    /// not apply (see above).
    bool
    reinit(const dealii::MatrixFree<dim, double> &matrix_free, const VectorType &vector);

    /// The values of @p u at the points of lane @p v of face batch @p face:
    /// @p minus on the interior side, @p plus on the exterior side (not read
    /// on boundary faces).
    template <int degree>
    void
    evaluate(const VectorType &u, unsigned int face, unsigned int v, double *minus, double *plus) const;

    /// Adds to @p out, for lane @p v of face batch @p face, the sums over the
    /// face points of @p minus times the interior side's shape functions and
    /// of @p plus times the exterior side's (not on boundary faces).
    template <int degree>
    void
    integrate(const double *minus, const double *plus, unsigned int face, unsigned int v, VectorType &out) const;

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
    /// lexicographic DoFs: offset + j0 * stride0 + j1 * stride1.
    struct FaceLayout
    {
      unsigned int offset = 0, stride0 = 0, stride1 = 0;
    };

    template <int degree>
    void
    side_values(const double *u, const Side &side, double *values) const;
    template <int degree>
    void
    side_integrate(const double *values, const Side &side, double *out) const;
    /// The 1D shape values at the Gauss points of face direction @p direction
    /// on @p side ([i * n_points + q]).
    const double *
    shape_values(const Side &side, unsigned int direction) const
    {
      if (side.subface >= dealii::GeometryInfo<dim>::max_children_per_cell)
        return whole.data();
      return half[direction == 0 ? side.subface % 2 : side.subface / 2].data();
    }

    unsigned int                             lanes = 1;
    std::array<FaceLayout, 2 * dim>          layout;
    std::vector<double>                      whole;
    std::array<std::vector<double>, 2>       half;
    /// [2 * (face * lanes + v) + side]: interior (0) and exterior (1) side.
    std::vector<Side>                        sides;
  };

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::side_values(const double *u, const Side &side, double *values) const
  {
    constexpr unsigned int n      = degree + 1;
    const FaceLayout      &f      = layout[side.face_no];
    const double          *cell   = u + side.first_dof + f.offset;
    if constexpr (dim == 1)
      values[0] = cell[0];
    else if constexpr (dim == 2)
      {
        const double *s = shape_values(side, 0);
        for (unsigned int q = 0; q < n; ++q)
          {
            double sum = 0.;
            for (unsigned int i = 0; i < n; ++i)
              sum += s[i * n + q] * cell[i * f.stride0];
            values[q] = sum;
          }
      }
    else
      {
        const double *s0 = shape_values(side, 0), *s1 = shape_values(side, 1);
        double        partial[n * n];
        for (unsigned int i1 = 0; i1 < n; ++i1)
          for (unsigned int q0 = 0; q0 < n; ++q0)
            {
              double sum = 0.;
              for (unsigned int i0 = 0; i0 < n; ++i0)
                sum += s0[i0 * n + q0] * cell[i0 * f.stride0 + i1 * f.stride1];
              partial[i1 * n + q0] = sum;
            }
        for (unsigned int q1 = 0; q1 < n; ++q1)
          for (unsigned int q0 = 0; q0 < n; ++q0)
            {
              double sum = 0.;
              for (unsigned int i1 = 0; i1 < n; ++i1)
                sum += s1[i1 * n + q1] * partial[i1 * n + q0];
              values[q1 * n + q0] = sum;
            }
      }
  }

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::side_integrate(const double *values, const Side &side, double *out) const
  {
    constexpr unsigned int n    = degree + 1;
    const FaceLayout      &f    = layout[side.face_no];
    double                *cell = out + side.first_dof + f.offset;
    if constexpr (dim == 1)
      cell[0] += values[0];
    else if constexpr (dim == 2)
      {
        const double *s = shape_values(side, 0);
        for (unsigned int i = 0; i < n; ++i)
          {
            double sum = 0.;
            for (unsigned int q = 0; q < n; ++q)
              sum += s[i * n + q] * values[q];
            cell[i * f.stride0] += sum;
          }
      }
    else
      {
        const double *s0 = shape_values(side, 0), *s1 = shape_values(side, 1);
        double        partial[n * n];
        for (unsigned int i1 = 0; i1 < n; ++i1)
          for (unsigned int q0 = 0; q0 < n; ++q0)
            {
              double sum = 0.;
              for (unsigned int q1 = 0; q1 < n; ++q1)
                sum += s1[i1 * n + q1] * values[q1 * n + q0];
              partial[i1 * n + q0] = sum;
            }
        for (unsigned int i1 = 0; i1 < n; ++i1)
          for (unsigned int i0 = 0; i0 < n; ++i0)
            {
              double sum = 0.;
              for (unsigned int q0 = 0; q0 < n; ++q0)
                sum += s0[i0 * n + q0] * partial[i1 * n + q0];
              cell[i0 * f.stride0 + i1 * f.stride1] += sum;
            }
      }
  }

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::evaluate(const VectorType &u, const unsigned int face, const unsigned int v, double *minus,
                                double *plus) const
  {
    const Side *face_sides = &sides[2 * (face * lanes + v)];
    side_values<degree>(u.begin(), face_sides[0], minus);
    if (plus != nullptr)
      side_values<degree>(u.begin(), face_sides[1], plus);
  }

  template <int dim>
  template <int degree>
  inline void
  NodalFaceTrace<dim>::integrate(const double *minus, const double *plus, const unsigned int face,
                                 const unsigned int v, VectorType &out) const
  {
    const Side *face_sides = &sides[2 * (face * lanes + v)];
    side_integrate<degree>(minus, face_sides[0], out.begin());
    if (plus != nullptr)
      side_integrate<degree>(plus, face_sides[1], out.begin());
  }
} // namespace mfdd::pde
