// DgOperator's discretisation of -div(b rho) + nu Laplacian(rho) as a Trilinos
// sparse matrix, assembled with FEValues on the DoFHandler (step-12's way),
// for the solves that need the operator itself: the implicit noise stages
// (NoiseOperator) and the stationary equation of `mfdd gibbs`.
#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <mpi.h>

#include <array>
#include <functional>

namespace mfdd::pde
{
  /// The velocity field b of the transport term.
  template <int dim>
  using DgVelocity = std::function<dealii::Tensor<1, dim>(const dealii::Point<dim> &)>;
  /// Whether the boundary face through a point with this outward normal, on a
  /// cell of size h, is closed (no flux at all).
  template <int dim>
  using DgClosedBoundary =
    std::function<bool(const dealii::Point<dim> &, const dealii::Tensor<1, dim> &, double)>;

  /**
   * Sets @p matrix (rows: @p owned_dofs, on DoFTools' flux sparsity pattern,
   * the same for every call on one mesh, so such matrices can be added) to
   * the discretisation of -div(b rho) + nu Laplacian(rho) that DgOperator
   * applies (before its inverse mass matrix): b upwinded, the Laplacian by the
   * symmetric interior penalty method (penalty (degree + 1)^2 / h, h the
   * smaller cell size of the two sides), the open boundary faces with rho = 0
   * outside, the closed ones without flux; Gauss quadrature with degree + 1
   * points and the Q1 mapping, as DgOperator's. Each rank assembles its owned
   * rows, each face from both sides with the outward normal of the row's
   * cell; hanging faces on their subfaces.
   * If @p mass is given: the mass matrix. If @p outflow is given: per side of
   * the box (Outflow::side_slot), the row vector whose product with u is the
   * rate at which the operator carries u's mass out through that side.
   */
  template <int dim>
  void
  assemble_dg_matrix(const dealii::DoFHandler<dim>                  &dof_handler,
                     const dealii::IndexSet                         &owned_dofs,
                     MPI_Comm                                        communicator,
                     const DgVelocity<dim>                          &velocity,
                     double                                          nu,
                     const DgClosedBoundary<dim>                    &closed,
                     dealii::TrilinosWrappers::SparseMatrix         &matrix,
                     dealii::TrilinosWrappers::SparseMatrix         *mass    = nullptr,
                     std::array<dealii::TrilinosWrappers::MPI::Vector, 2 * dim> *outflow = nullptr);
} // namespace mfdd::pde
