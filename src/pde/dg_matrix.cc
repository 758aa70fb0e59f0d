// Assembly of DgOperator's discretisation as a Trilinos matrix (see
// include/mfdd/pde/dg_matrix.h).
#include <mfdd/pde/dg_matrix.h>
#include <mfdd/pde/outflow.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/vector.h>

#include <utility>
#include <vector>

namespace mfdd::pde
{
  using namespace dealii;

  template <int dim>
  void
  assemble_dg_matrix(const DoFHandler<dim> &dof_handler, const IndexSet &owned_dofs, const MPI_Comm communicator,
                     const DgVelocity<dim> &velocity, const double nu, const DgClosedBoundary<dim> &closed,
                     TrilinosWrappers::SparseMatrix &matrix, TrilinosWrappers::SparseMatrix *mass,
                     std::array<TrilinosWrappers::MPI::Vector, 2 * dim> *outflow)
  {
    const auto &fe = dof_handler.get_fe();
    IndexSet    relevant_dofs;
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant_dofs);
    DynamicSparsityPattern pattern(relevant_dofs);
    DoFTools::make_flux_sparsity_pattern(dof_handler, pattern);
    SparsityTools::distribute_sparsity_pattern(pattern, owned_dofs, communicator, relevant_dofs);
    matrix.reinit(owned_dofs, owned_dofs, pattern, communicator);
    if (mass)
      mass->reinit(owned_dofs, owned_dofs, pattern, communicator);

    const unsigned int    n       = fe.n_dofs_per_cell();
    const double          penalty = (fe.degree + 1.) * (fe.degree + 1.);
    const QGauss<dim>     quadrature(fe.degree + 1);
    const QGauss<dim - 1> face_quadrature(fe.degree + 1);
    const UpdateFlags     flags = update_values | update_gradients | update_JxW_values | update_quadrature_points;
    FEValues<dim>         cell_values(fe, quadrature, flags);
    FEFaceValues<dim>     face_here(fe, face_quadrature, flags | update_normal_vectors);
    FESubfaceValues<dim>  subface_here(fe, face_quadrature, flags | update_normal_vectors);
    FEFaceValues<dim>     face_there(fe, face_quadrature, update_values | update_gradients | update_quadrature_points);
    FESubfaceValues<dim>  subface_there(fe, face_quadrature, update_values | update_gradients | update_quadrature_points);
    FullMatrix<double>    k_here(n, n), k_there(n, n), m_here(n, n);
    std::array<Vector<double>, 2 * dim> outflow_here;
    for (auto &side : outflow_here)
      side.reinit(n);
    std::vector<types::global_dof_index> dofs_here(n), dofs_there(n);

    // Adds the face terms of the rows of the cell of @p here (outward normal)
    // against the cell on the other side, whose values are @p there (nullptr
    // on the boundary), at the same physical points; h the smaller cell size.
    const auto add_face = [&](const FEFaceValuesBase<dim> &here, const FEValuesBase<dim> *there, const double h) {
      const double sigma = penalty / h;
      const double mean  = there ? 0.5 : 1.; // {d_n rho} and the symmetry term's weight
      for (unsigned int q = 0; q < here.n_quadrature_points; ++q)
        {
          const Tensor<1, dim> &normal = here.normal_vector(q);
          const double          bn     = velocity(here.quadrature_point(q)) * normal;
          const double          jxw    = here.JxW(q);
          unsigned int          p      = q; // the other side's point at the same place
          if (there)
            for (unsigned int r = 0; r < there->n_quadrature_points; ++r)
              if (there->quadrature_point(r).distance(here.quadrature_point(q)) <
                  there->quadrature_point(p).distance(here.quadrature_point(q)))
                p = r;
          // On the boundary, the mass flux out of phi_i (the symmetry term carries no mass).
          if (!there && outflow)
            for (unsigned int i = 0; i < n; ++i)
              outflow_here[Outflow::side_slot(normal)](i) +=
                jxw * ((bn > 0. ? bn : 0.) * here.shape_value(i, q) +
                       nu * (sigma * here.shape_value(i, q) - here.shape_grad(i, q) * normal));
          for (unsigned int i = 0; i < n; ++i)
            {
              const double phi_i = here.shape_value(i, q), dn_phi_i = here.shape_grad(i, q) * normal;
              for (unsigned int j = 0; j < n; ++j)
                {
                  // Flux out of this cell: bn rho_upwind - nu ({d_n rho} - sigma [rho]); SIPG's
                  // symmetry term nu mean [rho] d_n phi_i.
                  const double phi_j = here.shape_value(j, q), dn_phi_j = here.shape_grad(j, q) * normal;
                  k_here(i, j) += jxw * (-phi_i * (bn > 0. ? bn * phi_j : 0.) +
                                         nu * (phi_i * (mean * dn_phi_j - sigma * phi_j) + mean * phi_j * dn_phi_i));
                  if (there)
                    {
                      const double psi_j = there->shape_value(j, p), dn_psi_j = there->shape_grad(j, p) * normal;
                      k_there(i, j) +=
                        jxw * (-phi_i * (bn > 0. ? 0. : bn * psi_j) +
                               nu * (phi_i * (mean * dn_psi_j + sigma * psi_j) - mean * psi_j * dn_phi_i));
                    }
                }
            }
        }
    };

    if (outflow)
      for (auto &side : *outflow)
        side.reinit(owned_dofs, communicator);
    for (const auto &cell : dof_handler.active_cell_iterators())
      {
        if (!cell->is_locally_owned())
          continue;
        for (auto &side : outflow_here)
          side = 0.;
        cell->get_dof_indices(dofs_here);
        cell_values.reinit(cell);
        k_here = 0.;
        m_here = 0.;
        for (unsigned int q = 0; q < quadrature.size(); ++q)
          {
            const Tensor<1, dim> b = velocity(cell_values.quadrature_point(q));
            for (unsigned int i = 0; i < n; ++i)
              for (unsigned int j = 0; j < n; ++j)
                {
                  const double phi_j = cell_values.shape_value(j, q);
                  k_here(i, j) += (phi_j * (b * cell_values.shape_grad(i, q)) -
                                   nu * (cell_values.shape_grad(j, q) * cell_values.shape_grad(i, q))) *
                                  cell_values.JxW(q);
                  m_here(i, j) += cell_values.shape_value(i, q) * phi_j * cell_values.JxW(q);
                }
          }
        if (mass)
          mass->add(dofs_here, m_here);
        const double h = cell->minimum_vertex_distance();
        for (const unsigned int f : cell->face_indices())
          {
            if (cell->at_boundary(f))
              {
                face_here.reinit(cell, f);
                if (!closed(face_here.quadrature_point(0), face_here.normal_vector(0), h))
                  add_face(face_here, nullptr, h);
                continue;
              }
            // The cells on the other side: the (coarser or equal) neighbour, or its children on this face.
            const auto neighbor = cell->neighbor(f);
            std::vector<std::pair<typename DoFHandler<dim>::active_cell_iterator, unsigned int>> others;
            if (neighbor->is_active())
              others.emplace_back(neighbor, 0);
            else if (dim == 1)
              {
                auto fine = neighbor;
                while (fine->has_children())
                  fine = fine->child(1 - f);
                others.emplace_back(fine, 0);
              }
            else
              for (unsigned int sub = 0; sub < cell->face(f)->n_children(); ++sub)
                others.emplace_back(cell->neighbor_child_on_subface(f, sub), sub);
            for (const auto &[other, sub] : others)
              {
                k_there = 0.;
                const double          h_pair = std::min(h, other->minimum_vertex_distance());
                FEFaceValuesBase<dim> *here  = &face_here;
                FEValuesBase<dim>     *there = &face_there;
                if (other->level() < cell->level() && dim > 1)
                  {
                    // This cell is the fine side of a hanging face.
                    face_here.reinit(cell, f);
                    const auto [face, subface] = cell->neighbor_of_coarser_neighbor(f);
                    subface_there.reinit(other, face, subface);
                    there = &subface_there;
                  }
                else if (other->level() > cell->level() && dim > 1)
                  {
                    subface_here.reinit(cell, f, sub);
                    here = &subface_here;
                    face_there.reinit(other, cell->neighbor_of_neighbor(f));
                  }
                else
                  {
                    face_here.reinit(cell, f);
                    face_there.reinit(other, dim == 1 ? 1 - f : cell->neighbor_of_neighbor(f));
                  }
                add_face(*here, there, h_pair);
                other->get_dof_indices(dofs_there);
                matrix.add(dofs_here, dofs_there, k_there);
              }
          }
        matrix.add(dofs_here, k_here);
        if (outflow)
          for (unsigned int s = 0; s < 2 * dim; ++s)
            for (unsigned int i = 0; i < n; ++i)
              (*outflow)[s][dofs_here[i]] = outflow_here[s](i);
      }
    matrix.compress(VectorOperation::add);
    if (mass)
      mass->compress(VectorOperation::add);
  }

#define MFDD_INSTANTIATE(dim)                                                                                        \
  template void assemble_dg_matrix<dim>(const DoFHandler<dim> &, const IndexSet &, MPI_Comm, const DgVelocity<dim> &, \
                                        double, const DgClosedBoundary<dim> &, TrilinosWrappers::SparseMatrix &,      \
                                        TrilinosWrappers::SparseMatrix *,                                             \
                                        std::array<TrilinosWrappers::MPI::Vector, 2 * dim> *);
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
