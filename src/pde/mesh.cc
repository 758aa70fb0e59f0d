// The mesh and its numbering: the box (or Gmsh file) on a p4est mesh in 2D
// and a serial one in 1D, the DoFs, the ghost exchange and the reference-cell
// shape tables (set up anew after every remeshing), the owned cells'
// slots and the global cell order (by CellId) that makes every gathered
// quantity independent of the number of ranks.
#include <mfdd/io/input_error.h>
#include <mfdd/pde/dg_operator.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

namespace mfdd::pde
{
  using namespace dealii;

  std::pair<std::vector<double>, std::vector<double>>
  default_box(const model::Problem &problem, const SolverParameters &parameters, const unsigned int dim)
  {
    std::vector<double> lower, upper;
    const auto &setting    = problem.reduced_setting();
    const auto [low, high] = setting.initial_support(1e-12);
    for (unsigned int k = 0; k < dim; ++k)
      if (setting.has_amplitude() && k == 0)
        {
          const double width = high[0] - low[0];
          lower.push_back(low[0] - 0.5 * width);
          upper.push_back(high[0] + 0.5 * width);
        }
      else
        {
          // With noise the drift (m_b - 1) nu / r_b near r_b = 0 would set tiny time
          // steps where there is no mass: start at half the initial 1e-12 quantile
          // unless that lies within the first cell (small m_b), where r_b = 0 is closed.
          const double start = problem.temperature > 0. ? 0.5 * low[k] : 0.;
          upper.push_back(2.5 * high[k]);
          lower.push_back(start > (upper.back() - start) / parameters.subdivisions[k] ? start : 0.);
        }
    return {lower, upper};
  }

  template <int dim>
  void
  Solver<dim>::make_mesh()
  {
    triangulation->clear();
    if (!parameters.mesh_file.empty())
      {
        std::ifstream in(parameters.mesh_file);
        io::require(bool(in), "PDE/Mesh file", "cannot open '" + parameters.mesh_file + "'");
        GridIn<dim> grid_in(*triangulation);
        try
          {
            grid_in.read_msh(in);
          }
        catch (const std::exception &error)
          {
            throw io::InputError("PDE/Mesh file: cannot read '" + parameters.mesh_file + "' as a Gmsh mesh of dimension " +
                                 std::to_string(dim));
          }
      }
    else
      {
        auto [lower, upper] = parameters.box_lower.empty() ? default_box(problem, parameters, dim) :
                                                              std::make_pair(parameters.box_lower, parameters.box_upper);
        Point<dim> p0, p1;
        for (unsigned int k = 0; k < dim; ++k)
          {
            p0[k] = lower[k];
            p1[k] = upper[k];
          }
        GridGenerator::subdivided_hyper_rectangle(*triangulation, parameters.subdivisions, p0, p1);
      }
    triangulation->refine_global(parameters.global_refinements);
    setup_discretisation();
  }

  template <int dim>
  void
  Solver<dim>::setup_discretisation()
  {
    dof_handler.distribute_dofs(fe);
    noise_operator.reset(); // rebuilt on the new mesh at the next step
    n_dofs_per_cell    = fe.n_dofs_per_cell();
    locally_owned_dofs = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, locally_relevant_dofs);
    solution.reinit(locally_owned_dofs, mesh_communicator);
    ghosted.reinit(locally_owned_dofs, locally_relevant_dofs, mesh_communicator);
    ghost_import = std::make_unique<Epetra_Import>(ghosted.trilinos_partitioner(), solution.trilinos_partitioner());

    // Reference tables: volume Gauss points and the Zhang-Shu limiter points.
    const QGauss<dim> quadrature(parameters.degree + 1);
    n_q_points = quadrature.size();
    shape_at_q.resize(n_q_points * n_dofs_per_cell);
    for (unsigned int q = 0; q < n_q_points; ++q)
      for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
        shape_at_q[q * n_dofs_per_cell + i] = fe.shape_value(i, quadrature.point(q));
    const FE_DGQ<1>   fe_1d(parameters.degree);
    const QGauss<1>   quadrature_1d(parameters.degree + 1);
    const unsigned int n_1d = fe_1d.n_dofs_per_cell();
    shape_1d_at_q.resize(n_1d * n_1d);
    for (unsigned int q = 0; q < n_1d; ++q)
      for (unsigned int i = 0; i < n_1d; ++i)
        shape_1d_at_q[q * n_1d + i] = fe_1d.shape_value(i, quadrature_1d.point(q));
    // Limiter points: the volume Gauss points, and in each direction the
    // Gauss-Lobatto points times the face's Gauss points (a tensor product
    // over the other directions). On an adaptive mesh the fluxes through a
    // hanging face are taken at the Gauss points of its halves: those are
    // added (the composite Gauss rule is as exact, so the Zhang-Shu argument,
    // hence the CFL bound, is unchanged).
    {
      const QGauss<1>        gauss(parameters.degree + 1);
      const QGaussLobatto<1> lobatto(std::max(2u, (parameters.degree + 4) / 2));
      std::vector<double>    along_gauss, along_lobatto, tangential;
      for (const auto &p : gauss.get_points())
        along_gauss.push_back(p[0]);
      for (const auto &p : lobatto.get_points())
        along_lobatto.push_back(p[0]);
      // A list x of 1D points in both halves of [0, 1]: x/2 and (1 + x)/2.
      const auto halves = [](const std::vector<double> &list) {
        std::vector<double> result;
        for (const double x : list)
          result.push_back(0.5 * x);
        for (const double x : list)
          result.push_back(0.5 + 0.5 * x);
        return result;
      };
      tangential = along_gauss;
      if (parameters.adaptivity.enabled())
        for (const double x : halves(along_gauss))
          tangential.push_back(x);
      std::vector<typename TensorPointMinimum<dim>::PointSet> sets;
      sets.emplace_back().fill(along_gauss);
      for (unsigned int direction = 0; direction < dim; ++direction)
        {
          auto &set = sets.emplace_back();
          set.fill(tangential);
          set[direction] = along_lobatto;
        }
      limiter_points = TensorPointMinimum<dim>(parameters.degree, sets);
      // The children of an isotropically refined cell are the reference cell
      // scaled by 1/2 towards each vertex: over all children, each 1D list
      // becomes its halves.
      for (auto &set : sets)
        for (auto &list : set)
          list = halves(list);
      child_limiter_points = TensorPointMinimum<dim>(parameters.degree, sets);
    }
    positivity_bound = BernsteinBound<dim>(parameters.degree);

    number_cells();
    build_cell_tables();
    // The jump indicator's faces (also without automatic remeshing: adapt_mesh() is public).
    if (parameters.adaptivity.indicator == "jumps")
      build_face_tables();
    else
      {
        faces.clear();
        cell_faces.clear();
      }
    // psi is evaluated where the DG operator needs it.
    if (!dg_operator)
      dg_operator = std::make_unique<DgOperator<dim>>();
    dg_operator->reinit(
      dof_handler,
      [this](const Point<dim> &z, const Tensor<1, dim> &normal, double h) { return closed_boundary(z, normal, h); },
      [this](const Point<dim> &z, const Tensor<1, dim> &normal, double h) { return on_axis(z, normal, h); },
      problem.temperature > 0.);
    const std::vector<Point<dim>> &evaluation_points = dg_operator->evaluation_points();
    // Each cell's DG DoFs are consecutive; their place in the two vectors.
    owned_offset.resize(n_owned_cells);
    ghosted_offset.resize(cells.size());
    std::vector<types::global_dof_index> dof_indices(n_dofs_per_cell);
    for (unsigned int c = 0; c < cells.size(); ++c)
      {
        cells[c]->get_dof_indices(dof_indices);
        for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
          AssertThrow(dof_indices[i] == dof_indices[0] + i, ExcMessage("DG DoFs of a cell are not consecutive"));
        ghosted_offset[c] = locally_relevant_dofs.index_within_set(dof_indices[0]);
        if (c < n_owned_cells)
          owned_offset[c] = locally_owned_dofs.index_within_set(dof_indices[0]);
      }

    std::vector<double> owned_points, points;
    for (const auto &p : q_points)
      for (unsigned int k = 0; k < dim; ++k)
        owned_points.push_back(p[k]);
    gather_cells(std::move(owned_points), n_q_points * dim, points);
    all_q_points.resize(points.size() / dim);
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      for (unsigned int k = 0; k < dim; ++k)
        all_q_points[p][k] = points[p * dim + k];
    potential->reinit(bounding_box(), all_q_points, evaluation_points);
    cell_values.resize(cells.size() * n_dofs_per_cell);
    density_weights.resize(all_q_points.size());
    velocity_at_points.resize(evaluation_points.size());

    radial_drift_at_points.resize(evaluation_points.size());
    for (unsigned int p = 0; p < evaluation_points.size(); ++p)
      radial_drift_at_points[p] = radial_drift(evaluation_points[p]);
  }

  template <int dim>
  Tensor<1, dim>
  Solver<dim>::radial_drift(const Point<dim> &z) const
  {
    const auto    &setting = problem.reduced_setting();
    Tensor<1, dim> drift;
    for (unsigned int block = 0; block < setting.n_blocks(); ++block)
      {
        const unsigned int k = setting.first_radius() + block;
        if (z[k] > 0.)
          drift[k] = (problem.data.blocks()[block].size - 1.) / z[k];
      }
    return drift;
  }

  template <int dim>
  void
  Solver<dim>::number_cells()
  {
    std::vector<std::pair<CellId, active_cell_iterator>> owned;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        owned.emplace_back(cell->id(), cell);
    std::sort(owned.begin(), owned.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    n_owned_cells = owned.size();
    cells.clear();
    slot_of_index.assign(triangulation->n_active_cells(), numbers::invalid_unsigned_int);
    std::vector<CellId> ids;
    for (const auto &[id, cell] : owned)
      {
        slot_of_index[cell->active_cell_index()] = cells.size();
        cells.push_back(cell);
        ids.push_back(id);
      }
    order = global_cell_order(ids);
  }

  template <int dim>
  typename Solver<dim>::GlobalCellOrder
  Solver<dim>::global_cell_order(const std::vector<CellId> &owned_ids) const
  {
    GlobalCellOrder result;
    result.counts = Utilities::MPI::all_gather(mesh_communicator, int(owned_ids.size()));
    result.offsets.assign(n_ranks, 0);
    for (unsigned int r = 1; r < n_ranks; ++r)
      result.offsets[r] = result.offsets[r - 1] + result.counts[r - 1];
    const unsigned int n_total = result.offsets.back() + result.counts.back();
    result.position.resize(n_total);
    std::iota(result.position.begin(), result.position.end(), 0u);
    if (n_ranks > 1)
      {
        // All ranks' CellIds, in rank order, sorted.
        const unsigned int        id_size = std::tuple_size<CellId::binary_type>::value;
        std::vector<unsigned int> owned_binary, all_binary(n_total * id_size);
        for (const auto &id : owned_ids)
          for (const unsigned int x : id.template to_binary<dim>())
            owned_binary.push_back(x);
        std::vector<int> counts, offsets;
        for (unsigned int r = 0; r < n_ranks; ++r)
          {
            counts.push_back(result.counts[r] * id_size);
            offsets.push_back(result.offsets[r] * id_size);
          }
        MPI_Allgatherv(owned_binary.data(), owned_binary.size(), MPI_UNSIGNED, all_binary.data(), counts.data(),
                       offsets.data(), MPI_UNSIGNED, mesh_communicator);
        std::vector<CellId> ids;
        for (unsigned int j = 0; j < n_total; ++j)
          {
            CellId::binary_type binary;
            std::copy_n(&all_binary[j * id_size], id_size, binary.begin());
            ids.emplace_back(binary);
          }
        std::vector<unsigned int> sorted(n_total);
        std::iota(sorted.begin(), sorted.end(), 0u);
        std::sort(sorted.begin(), sorted.end(), [&](unsigned int i, unsigned int j) { return ids[i] < ids[j]; });
        for (unsigned int k = 0; k < n_total; ++k)
          result.position[sorted[k]] = k;
      }
    for (unsigned int c = 0; c < owned_ids.size(); ++c)
      result.owned_position.push_back(result.position[result.offsets[rank] + c]);
    return result;
  }

  template <int dim>
  unsigned int
  Solver<dim>::slot_of(const active_cell_iterator &cell)
  {
    unsigned int &slot = slot_of_index[cell->active_cell_index()];
    if (slot == numbers::invalid_unsigned_int)
      {
        slot = cells.size();
        cells.push_back(cell);
      }
    return slot;
  }

  template <int dim>
  void
  Solver<dim>::gather_cells(std::vector<double> owned, const unsigned int n_per_cell, std::vector<double> &global) const
  {
    if (n_ranks == 1) // the slots are in the global order
      {
        global = std::move(owned);
        return;
      }
    global.resize(order.position.size() * n_per_cell);
    std::vector<int> counts, offsets;
    for (unsigned int r = 0; r < n_ranks; ++r)
      {
        counts.push_back(order.counts[r] * n_per_cell);
        offsets.push_back(order.offsets[r] * n_per_cell);
      }
    std::vector<double> gathered(global.size());
    MPI_Allgatherv(owned.data(), owned.size(), MPI_DOUBLE, gathered.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                   mesh_communicator);
    for (unsigned int j = 0; j < order.position.size(); ++j)
      std::copy_n(&gathered[j * n_per_cell], n_per_cell, &global[order.position[j] * n_per_cell]);
  }

  template <int dim>
  BoundingBox<dim>
  Solver<dim>::bounding_box() const
  {
    Point<dim> lower, upper;
    for (unsigned int k = 0; k < dim; ++k)
      {
        double low = std::numeric_limits<double>::max(), high = -low;
        for (unsigned int c = 0; c < n_owned_cells; ++c)
          for (const unsigned int v : cells[c]->vertex_indices())
            {
              low  = std::min(low, cells[c]->vertex(v)[k]);
              high = std::max(high, cells[c]->vertex(v)[k]);
            }
        lower[k] = Utilities::MPI::min(low, mesh_communicator);
        upper[k] = Utilities::MPI::max(high, mesh_communicator);
      }
    return BoundingBox<dim>(std::make_pair(lower, upper));
  }


#define MFDD_INSTANTIATE(dim) \
  template void Solver<dim>::make_mesh(); \
  template void Solver<dim>::setup_discretisation(); \
  template void Solver<dim>::number_cells(); \
  template typename Solver<dim>::GlobalCellOrder Solver<dim>::global_cell_order(const std::vector<CellId> &owned_ids) const; \
  template unsigned int Solver<dim>::slot_of(const active_cell_iterator &cell); \
  template void Solver<dim>::gather_cells(std::vector<double> owned, const unsigned int n_per_cell, std::vector<double> &global) const; \
  template BoundingBox<dim> Solver<dim>::bounding_box() const; \
  template Tensor<1, dim> Solver<dim>::radial_drift(const Point<dim> &z) const;
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
