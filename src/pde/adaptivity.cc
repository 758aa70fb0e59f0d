// Adaptive meshes: the refinement indicator (jumps of rho or cell mass),
// marked identically on every rank in the global cell order, and the
// remeshing that moves rho with deal.II's SolutionTransfer while keeping
// mass to round-off and rho >= 0 at the limiter points.
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"

#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/numerics/solution_transfer.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    enum class Mark : char
    {
      keep,
      refine,
      coarsen
    };

    /// Bulk (Doerfler) marking that counts the cells already at the maximum
    /// level as marked: the largest indicators below it are refined until the
    /// marked cells carry the refine fraction of the total; then the smallest
    /// indicators above the minimum level, up to the coarsen fraction of the
    /// total, are coarsened. Cells below the minimum level are refined.
    std::vector<Mark>
    bulk_marking(const std::vector<double> &indicator, const std::vector<unsigned int> &level,
                 const AdaptivityParameters &adaptivity)
    {
      const unsigned int n_c   = indicator.size();
      const double       total = std::accumulate(indicator.begin(), indicator.end(), 0.);
      std::vector<Mark>  marks(n_c, Mark::keep);
      if (!(total > 0.))
        return marks;
      std::vector<unsigned int> order(n_c);
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](unsigned int i, unsigned int j) { return indicator[i] > indicator[j]; });
      double marked = 0.;
      for (unsigned int c = 0; c < n_c; ++c)
        if (level[c] >= adaptivity.maximum_level)
          marked += indicator[c];
      for (const unsigned int c : order)
        {
          if (marked >= adaptivity.refine_fraction * total)
            break;
          if (level[c] < adaptivity.maximum_level)
            {
              marks[c] = Mark::refine;
              marked += indicator[c];
            }
        }
      double coarsened = 0.;
      for (auto c = order.rbegin(); c != order.rend(); ++c)
        {
          coarsened += indicator[*c];
          if (coarsened > adaptivity.coarsen_fraction * total)
            break;
          if (marks[*c] != Mark::refine && level[*c] > adaptivity.minimum_level)
            marks[*c] = Mark::coarsen;
        }
      for (unsigned int c = 0; c < n_c; ++c)
        if (level[c] < adaptivity.minimum_level)
          marks[c] = Mark::refine;
      return marks;
    }
  } // namespace

  template <int dim>
  bool
  Solver<dim>::flag_cells_for_adaptation()
  {
    // (indicator, level) of the owned cells.
    std::vector<double> owned(2 * n_owned_cells, 0.);
    if (parameters.adaptivity.indicator == "mass")
      for (unsigned int c = 0; c < n_owned_cells; ++c)
        owned[2 * c] = std::max(0., cell_mass(owned_coefficients(solution, c), c));
    else
      {
        // h_K int_{dK} |[rho]|, the faces of K in its face order.
        read_cell_values(solution);
        std::vector<double> face_jump(faces.size(), 0.);
        for (unsigned int f = 0; f < faces.size(); ++f)
          for (unsigned int q = 0; q < faces[f].JxW.size(); ++q)
            {
              const FaceData &face = faces[f];
              double difference = polynomial_value(&cell_values[face.cell_minus * n_dofs_per_cell],
                                                   &face.shape_minus[q * n_dofs_per_cell], n_dofs_per_cell);
              if (face.cell_plus != numbers::invalid_unsigned_int)
                difference -= polynomial_value(&cell_values[face.cell_plus * n_dofs_per_cell],
                                               &face.shape_plus[q * n_dofs_per_cell], n_dofs_per_cell);
              face_jump[f] += std::abs(difference) * face.JxW[q];
            }
        for (unsigned int c = 0; c < n_owned_cells; ++c)
          {
            for (const auto &[f, minus] : cell_faces[c])
              owned[2 * c] += face_jump[f];
            owned[2 * c] *= cell_size[c];
          }
      }
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      owned[2 * c + 1] = cells[c]->level();

    // Every rank marks all cells identically, in the global cell order.
    std::vector<double> all;
    gather_cells(std::move(owned), 2, all);
    std::vector<double>       indicator(all.size() / 2);
    std::vector<unsigned int> level(all.size() / 2);
    for (unsigned int c = 0; c < indicator.size(); ++c)
      {
        indicator[c] = all[2 * c];
        level[c]     = static_cast<unsigned int>(all[2 * c + 1]);
      }
    const std::vector<Mark> marks = bulk_marking(indicator, level, parameters.adaptivity);
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const Mark mark = marks[order.owned_position[c]];
        if (mark == Mark::refine)
          cells[c]->set_refine_flag();
        else if (mark == Mark::coarsen)
          cells[c]->set_coarsen_flag();
      }
    triangulation->prepare_coarsening_and_refinement();
    unsigned int flagged = 0;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      flagged += cells[c]->refine_flag_set() || cells[c]->coarsen_flag_set();
    return Utilities::MPI::sum(flagged, mesh_communicator) > 0;
  }

  template <int dim>
  bool
  Solver<dim>::adapt_mesh()
  {
    if (!flag_cells_for_adaptation())
      return false;
    // Every cell is first limited at its would-be children's limiter points, so
    // that refined children are >= 0 at theirs (means >= 0). Every cell, not only
    // the flagged ones: p4est's balance refines more cells while executing, and
    // which ones are flagged beforehand depends on the partition.
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      limit_cell(owned_coefficients(solution, c), c, &child_limiter_points);

    // Refinement interpolates exactly (the parent's polynomial lies in the
    // children's space). Coarsening applies FE_DGQ's restriction matrices, the
    // L2 projection on the reference cell; the Jacobian of the Q1 mapping lies
    // in Q_1, inside Q_k (k >= 1), so the projection also keeps int rho J:
    // the mass is kept to round-off on any mesh of straight-sided cells
    // (tested on non-affine cells in tests/test_pde_adaptive.cc).
    ghosted                       = solution;
    const VectorType old_solution = ghosted;
    if constexpr (dim == 1)
      {
        SolutionTransfer<dim, VectorType> transfer(dof_handler);
        transfer.prepare_for_coarsening_and_refinement(old_solution);
        triangulation->execute_coarsening_and_refinement();
        setup_discretisation();
        transfer.interpolate(old_solution, solution);
      }
    else
      {
        parallel::distributed::SolutionTransfer<dim, VectorType> transfer(dof_handler);
        transfer.prepare_for_coarsening_and_refinement(old_solution);
        triangulation->execute_coarsening_and_refinement();
        setup_discretisation();
        transfer.interpolate(solution);
      }
    apply_limiter(solution);
    check_finite("after remeshing");
    return true;
  }


#define MFDD_INSTANTIATE(dim) \
  template bool Solver<dim>::flag_cells_for_adaptation(); \
  template bool Solver<dim>::adapt_mesh();
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
