#pragma once

#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/matrix_free/matrix_free.h>

#include <mfdd/pde/nodal_face_trace.h>
#include <mfdd/pde/outflow.h>

#include <array>
#include <functional>
#include <vector>

namespace mfdd::pde
{
  using dealii::Point;
  using dealii::Tensor;

  /**
   * The DG operator of the reduced continuity equation (doc/theory.md §4) on
   * deal.II's matrix-free framework: for a transport velocity b given at the
   * "evaluation points" (the quadrature points of the cells and faces this
   * rank integrates over) and a diffusion coefficient nu >= 0,
   *
   *   rate = M^{-1} [ int_K rho b . grad phi - nu grad rho . grad phi
   *                   - int_F (b.n rho_upwind - nu ({d_n rho} - sigma [rho])) [phi]
   *                   + nu int_F [rho] {d_n phi} ],
   *
   * the upwind flux for the transport and the symmetric interior penalty
   * method (sigma = (degree + 1)^2 / h, h the smaller cell size of the two
   * sides) for the diffusion. Boundary faces: the outside value is 0 (the
   * box absorbs; what leaves is the returned outflow rate, by side of the box
   * and, apart, through the faces a second predicate puts on an axis), except on faces
   * that the set-up's predicate closes (no flux at all).
   *
   * Cells and faces are integrated by FEEvaluation / FEFaceEvaluation in a
   * MatrixFree::loop with the degree a template argument (sum factorisation;
   * a runtime degree measured no faster than the old hand-made tables) and
   * the Q1 mapping; the inverse mass matrix is applied cell-wise. The face
   * terms take their values and normal derivatives from NodalFaceTrace,
   * which reads the face DoFs of the nodal basis (about 2x faster at degree
   * 2, see there), on meshes where every face has the standard orientation;
   * FEFaceEvaluation on the others.
   */
  template <int dim>
  class DgOperator
  {
  public:
    using VectorType = dealii::TrilinosWrappers::MPI::Vector;
    /// Whether the boundary face through a quadrature point with this outward
    /// normal, on a cell of size h, is closed (no flux through it).
    using BoundaryPredicate = std::function<bool(const Point<dim> &, const Tensor<1, dim> &, double)>;

    /// Sets up for the FE_DGQ DoFs of @p dof_handler; @p closed: the boundary
    /// faces without flux; @p on_axis: those whose outflow goes to
    /// Outflow::axis_slot (none if empty; the others go to their side's
    /// slot); @p with_diffusion: the face gradients
    /// and penalties that apply() needs with nu > 0; @p nodal_face_values:
    /// NodalFaceTrace where it applies (false: FEFaceEvaluation everywhere,
    /// as on meshes where it does not apply).
    void
    reinit(const dealii::DoFHandler<dim> &dof_handler, const BoundaryPredicate &closed,
           const BoundaryPredicate &on_axis, bool with_diffusion, bool nodal_face_values = true);

    /// The quadrature points of this rank's cells, then of the faces it
    /// integrates over (in the order of the matrix-free loops); apply() takes
    /// the velocity at these points, in this order.
    const std::vector<Point<dim>> &
    evaluation_points() const
    {
      return points;
    }
    /// The smaller size (minimum vertex distance) of the cells touching each
    /// evaluation point, for the CFL condition.
    const std::vector<double> &
    cell_size_at_points() const
    {
      return point_cell_size;
    }

    /// Sets @p rate (same layout as @p u) to the operator applied to @p u for
    /// the velocity @p velocity at the evaluation points and diffusion
    /// coefficient @p nu; returns this rank's outflow rate int_boundary flux
    /// by side.
    Outflow
    apply(const VectorType &u, const std::vector<Tensor<1, dim>> &velocity, double nu, VectorType &rate);

  private:
    using MfVector = dealii::LinearAlgebra::distributed::Vector<double>;

    /// A face that deal.II 9.4's 1D MatrixFree leaves out: between cells of
    /// different refinement levels (integrated by hand, see apply()).
    struct HangingFace1d
    {
      std::array<std::vector<dealii::types::global_dof_index>, 2> dofs;       ///< coarse, fine side
      std::array<std::vector<double>, 2>                           value;      ///< shape values [i]
      std::array<std::vector<double>, 2>                           derivative; ///< grad shape . normal [i]
      double                                                       normal;     ///< outward from the coarse side
      double                                                       penalty;
    };

    /// The evaluation points, the face penalties and the closed boundary faces.
    template <int degree>
    void
    collect_points(const BoundaryPredicate &closed, const BoundaryPredicate &on_axis);
    /// dst = the operator's residual (before the inverse mass matrix) of src,
    /// then rate = M^{-1} dst; returns the outflow rate.
    template <int degree>
    Outflow
    apply_degree(const std::vector<Tensor<1, dim>> &velocity, double nu, VectorType &rate);
    void
    collect_hanging_faces_1d(const dealii::DoFHandler<dim> &dof_handler);
    /// Adds the fluxes through the faces of hanging_faces to dst.
    void
    apply_hanging_faces_1d(const std::vector<Tensor<1, dim>> &velocity, double nu);

    dealii::MappingQ1<dim>               mapping;
    dealii::MatrixFree<dim, double>      matrix_free;
    unsigned int                         degree = 0;
    bool                                 diffusion = false;
    std::vector<Point<dim>>              points;
    std::vector<double>                  point_cell_size;
    unsigned int                         first_face_point = 0, first_hanging_point = 0;
    /// Per face batch: the SIPG penalty; on the boundary 0 (closed) or 1
    /// (open).
    dealii::AlignedVector<dealii::VectorizedArray<double>> penalty, open;
    /// Per boundary face batch and lane: the Outflow slot of its flux.
    std::vector<std::array<unsigned char, dealii::VectorizedArray<double>::size()>> outflow_slot;
    /// Per face point, in the order of the evaluation points: the normal
    /// of the interior side times JxW.
    std::vector<Tensor<1, dim>>          normal_JxW;
    std::vector<double>                  face_JxW;
    /// The face terms without FEFaceEvaluation, where it applies.
    NodalFaceTrace<dim>                  face_trace;
    bool                                 nodal_faces = false;
    std::vector<HangingFace1d>           hanging_faces;
    /// [cell batch * lanes + lane]: the cell's first DoF in the owned vector.
    std::vector<unsigned int>            first_owned_dof;
    MfVector                             src, dst;
  };
} // namespace mfdd::pde
