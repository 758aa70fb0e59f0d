// What a run reports: mass, minimum, means and risk (collective, the same
// on every rank), integrals and L1 errors, the density on a uniform grid, the
// snapshots handed to the comparison layer, and the .vtu/.pvtu output.
#include <mfdd/pde/solver.h>
#include "cell_polynomial.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/numerics/data_out.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    /// Sum over the owned cells and Gauss points (degree + 4 per direction,
    /// exact for the DG polynomial times smooth data) of integrand(x, rho_h(x))
    /// JxW, summed over the ranks.
    template <int dim, class VectorType, class Integrand>
    double
    integrate_over_cells(const DoFHandler<dim> &dof_handler,
                         const VectorType      &solution,
                         const unsigned int     degree,
                         const MPI_Comm         communicator,
                         const Integrand       &integrand)
    {
      const QGauss<dim>   quadrature(degree + 4);
      FEValues<dim>       fe_values(dof_handler.get_fe(), quadrature,
                              update_values | update_JxW_values | update_quadrature_points);
      std::vector<double> values(quadrature.size());
      double              total = 0.;
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fe_values.reinit(cell);
            fe_values.get_function_values(solution, values);
            for (unsigned int q = 0; q < quadrature.size(); ++q)
              total += integrand(fe_values.quadrature_point(q), values[q]) * fe_values.JxW(q);
          }
      return Utilities::MPI::sum(total, communicator);
    }
  } // namespace

  template <int dim>
  double
  Solver<dim>::mass() const
  {
    std::vector<double> weights;
    gather_cells(owned_density_weights(solution), n_q_points, weights);
    return std::accumulate(weights.begin(), weights.end(), 0.);
  }

  template <int dim>
  double
  Solver<dim>::min_rho() const
  {
    double minimum = std::numeric_limits<double>::max();
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      minimum = std::min(minimum, limiter_points.minimum(owned_coefficients(solution, c)));
    return Utilities::MPI::min(minimum, mesh_communicator);
  }

  template <int dim>
  std::vector<double>
  Solver<dim>::mean() const
  {
    std::vector<double> weights;
    gather_cells(owned_density_weights(solution), n_q_points, weights);
    std::vector<double> result(dim, 0.);
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      for (unsigned int k = 0; k < dim; ++k)
        result[k] += all_q_points[p][k] * weights[p];
    return result;
  }

  template <int dim>
  double
  Solver<dim>::free_energy(const double risk) const
  {
    std::vector<double> owned_rho, weights, rho;
    gather_cells(owned_density_weights(solution, &owned_rho), n_q_points, weights);
    gather_cells(owned_rho, n_q_points, rho);
    const auto  &setting = problem.reduced_setting();
    const double lambda = problem.weight_decay, entropy_factor = problem.temperature / (2. * problem.neuron_dimension());
    double       confinement = 0., entropy = 0.;
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      {
        const Point<dim> &z = all_q_points[p];
        confinement += z.norm_square() * weights[p];
        if (entropy_factor > 0. && rho[p] > 0.)
          {
            double log_surface = 0.;
            for (unsigned int b = 0; b < setting.n_blocks(); ++b)
              log_surface += (problem.data.blocks()[b].size - 1.) * std::log(z[setting.first_radius() + b]);
            entropy += (std::log(rho[p]) - log_surface) * weights[p];
          }
      }
    return 0.5 * risk + 0.5 * lambda * confinement + entropy_factor * entropy;
  }

  template <int dim>
  double
  Solver<dim>::risk()
  {
    gather_cells(owned_density_weights(solution), n_q_points, density_weights);
    potential->update(density_weights);
    return potential->risk();
  }

  template <int dim>
  double
  Solver<dim>::integrate(const Function<dim> &f) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree, mesh_communicator,
                                [&](const Point<dim> &z, double rho) { return f.value(z) * rho; });
  }

  template <int dim>
  double
  Solver<dim>::l1_error(const Function<dim> &exact) const
  {
    return integrate_over_cells(dof_handler, solution, parameters.degree, mesh_communicator,
                                [&](const Point<dim> &z, double rho) { return std::abs(exact.value(z) - rho); });
  }

  template <int dim>
  model::GridDensity
  Solver<dim>::sample(const std::vector<unsigned int> &n) const
  {
    const auto         box = bounding_box();
    model::GridDensity grid;
    grid.n           = n;
    unsigned int total = 1;
    std::vector<double> spacing(dim);
    for (unsigned int k = 0; k < dim; ++k)
      {
        grid.lower.push_back(box.lower_bound(k));
        grid.upper.push_back(box.upper_bound(k));
        spacing[k] = (grid.upper[k] - grid.lower[k]) / n[k];
        total *= n[k];
      }
    grid.values.assign(total, 0.);
    // A grid point on a cell boundary takes the value of the first cell in
    // the global order that holds it (the owned cells are in that order).
    std::vector<double> sampled_by(total, std::numeric_limits<double>::max());
    const auto         &mapping = StaticMappingQ1<dim>::mapping;
    for (unsigned int c = 0; c < n_owned_cells; ++c)
      {
        const auto  &cell     = cells[c];
        const auto   cell_box = cell->bounding_box();
        unsigned int begin[3] = {0, 0, 0}, end[3] = {1, 1, 1};
        for (unsigned int k = 0; k < dim; ++k)
          {
            const double first = std::ceil((cell_box.lower_bound(k) - grid.lower[k]) / spacing[k] - 0.5 - 1e-9);
            const double last  = std::floor((cell_box.upper_bound(k) - grid.lower[k]) / spacing[k] - 0.5 + 1e-9);
            begin[k] = static_cast<unsigned int>(std::max(0., first));
            end[k]   = static_cast<unsigned int>(std::min(double(n[k]) - 1., last) + 1.);
          }
        const double *coefficients = owned_coefficients(solution, c);
        // Grid points (i_0, .., i_{dim-1}) of the cell's box, coordinate 0
        // fastest.
        for (unsigned int l = begin[2]; l < end[2]; ++l)
          for (unsigned int j = begin[1]; j < end[1]; ++j)
            for (unsigned int i = begin[0]; i < end[0]; ++i) {
              const unsigned int point[3] = {i, j, l};
              unsigned int index = 0;
              Point<dim> z;
              for (unsigned int k = dim; k-- > 0;) {
                index = index * n[k] + point[k];
                z[k] = grid.lower[k] + (point[k] + 0.5) * spacing[k];
              }
              if (sampled_by[index] < std::numeric_limits<double>::max())
                continue;
              Point<dim> unit;
              try {
                unit = mapping.transform_real_to_unit_cell(cell, z);
              } catch (const typename Mapping<dim>::ExcTransformationFailed &) {
                continue;
              }
              if (!GeometryInfo<dim>::is_inside_unit_cell(unit, 1e-10))
                continue;
              double value = 0.;
              for (unsigned int d = 0; d < n_dofs_per_cell; ++d)
                value += coefficients[d] * fe.shape_value(d, unit);
              // rho >= 0 holds at the limiter points; between them the
              // polynomial may dip below 0 by round-off-sized amounts.
              grid.values[index] = std::max(0., value);
              sampled_by[index] = order.owned_position[c];
            }
      }
    if (n_ranks > 1)
      {
        // Keep each point's value from the first cell; the sum has one non-zero term.
        std::vector<double> first(total);
        Utilities::MPI::min(sampled_by, mesh_communicator, first);
        for (unsigned int index = 0; index < total; ++index)
          if (sampled_by[index] != first[index])
            grid.values[index] = 0.;
        Utilities::MPI::sum(grid.values, mesh_communicator, grid.values);
      }
    return grid;
  }

  template <int dim>
  void
  Solver<dim>::write_vtu(const io::OutputParameters &output, const std::string &name, unsigned int index,
                         std::vector<std::pair<double, std::string>> &pvd_records) const
  {
    std::ostringstream file;
    file << name << "_" << std::setw(4) << std::setfill('0') << index << (n_ranks == 1 ? ".vtu" : ".pvtu");
    pvd_records.emplace_back(current_time, file.str());
    if (n_ranks == 1 && !writes_files)
      return; // 1D: the whole mesh is on every rank, rank 0 writes it

    // psi and the velocity interpolated at the DG support points of the owned cells.
    const FESystem<dim> vector_fe(fe, dim);
    DoFHandler<dim>     vector_dof_handler(*triangulation);
    vector_dof_handler.distribute_dofs(vector_fe);
    const IndexSet vector_owned_dofs = vector_dof_handler.locally_owned_dofs();
    VectorType     psi(locally_owned_dofs, mesh_communicator), velocity(vector_owned_dofs, mesh_communicator);
    Vector<float> subdomain(triangulation->n_active_cells());
    const auto   &mapping     = StaticMappingQ1<dim>::mapping;
    const auto   &unit_points = fe.get_unit_support_points();
    const double  factor      = -2. * problem.xi(current_time) / problem.alpha;
    std::vector<types::global_dof_index> vector_dofs(vector_fe.n_dofs_per_cell());
    for (const auto &cell : vector_dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int c = slot_of_index[cell->active_cell_index()];
          subdomain[cell->active_cell_index()] = cell->subdomain_id();
          cell->get_dof_indices(vector_dofs);
          double *psi_values = owned_coefficients(psi, c);
          for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
            {
              Tensor<1, dim> gradient;
              psi_values[i] = potential->value(mapping.transform_unit_to_real_cell(cell, unit_points[i]), &gradient);
              for (unsigned int j = 0; j < vector_fe.n_dofs_per_cell(); ++j)
                {
                  const auto [component, base_index] = vector_fe.system_to_component_index(j);
                  if (base_index == i)
                    velocity.begin()[vector_owned_dofs.index_within_set(vector_dofs[j])] = factor * gradient[component];
                }
            }
        }
    DataOut<dim> data_out;
    data_out.attach_triangulation(*triangulation);
    data_out.add_data_vector(dof_handler, solution, "rho");
    data_out.add_data_vector(dof_handler, psi, "psi");
    data_out.add_data_vector(vector_dof_handler, velocity, std::vector<std::string>(dim, "velocity"),
                             std::vector<DataComponentInterpretation::DataComponentInterpretation>(
                               dim, DataComponentInterpretation::component_is_part_of_vector));
    data_out.add_data_vector(subdomain, "subdomain");
    data_out.build_patches(parameters.degree);
    // zlib at best_compression (the default) took a fifth of a short 2D run.
    DataOutBase::VtkFlags vtk_flags;
    vtk_flags.compression_level = DataOutBase::VtkFlags::best_speed;
    data_out.set_flags(vtk_flags);
    if (n_ranks == 1)
      {
        std::ofstream out(output.path(file.str()));
        data_out.write_vtu(out);
      }
    else
      data_out.write_vtu_with_pvtu_record(output.folder + "/", name, index, mesh_communicator, 4, 0);
    if (writes_files)
      {
        std::ofstream pvd(output.path(name + ".pvd"));
        DataOutBase::write_pvd_record(pvd, pvd_records);
      }
  }

  template <int dim>
  void
  Solver<dim>::write_grid_csv(const std::string &path, const model::GridDensity &grid) const
  {
    std::vector<std::string> columns = problem.reduced_setting().coordinate_names();
    columns.push_back("rho");
    io::CsvWriter csv(path, columns);
    for (unsigned int index = 0; index < grid.values.size(); ++index)
      {
        std::vector<double> row;
        for (unsigned int k = 0, rest = index; k < dim; rest /= grid.n[k], ++k)
          row.push_back(grid.lower[k] + (rest % grid.n[k] + 0.5) * (grid.upper[k] - grid.lower[k]) / grid.n[k]);
        row.push_back(grid.values[index]);
        csv.add_row(row);
      }
  }

  template <int dim>
  void
  Solver<dim>::write_state(const io::OutputParameters &output, const std::string &name)
  {
    risk(); // the potential of the current density, for psi and the velocity
    std::vector<std::pair<double, std::string>> pvd_records;
    if (output.write_vtu)
      write_vtu(output, name, 0, pvd_records);
    const auto grid = sample(parameters.sample_cells);
    if (writes_files)
      write_grid_csv(output.path(name + ".csv"), grid);
  }

  template <int dim>
  model::ReducedLawSnapshot
  Solver<dim>::snapshot()
  {
    model::ReducedLawSnapshot result;
    result.t    = current_time;
    result.risk = risk(); // also fills density_weights
    for (unsigned int p = 0; p < all_q_points.size(); ++p)
      {
        for (unsigned int k = 0; k < dim; ++k)
          result.points.push_back(all_q_points[p][k]);
        result.weights.push_back(density_weights[p]);
      }
    result.grid = sample(parameters.sample_cells);
    return result;
  }


#define MFDD_INSTANTIATE(dim) \
  template double Solver<dim>::mass() const; \
  template double Solver<dim>::min_rho() const; \
  template std::vector<double> Solver<dim>::mean() const; \
  template double Solver<dim>::risk(); \
  template double Solver<dim>::free_energy(const double risk) const; \
  template double Solver<dim>::integrate(const Function<dim> &f) const; \
  template double Solver<dim>::l1_error(const Function<dim> &exact) const; \
  template model::GridDensity Solver<dim>::sample(const std::vector<unsigned int> &n) const; \
  template void Solver<dim>::write_vtu(const io::OutputParameters &output, const std::string &name, unsigned int index, std::vector<std::pair<double, std::string>> &pvd_records) const; \
  template void Solver<dim>::write_grid_csv(const std::string &path, const model::GridDensity &grid) const; \
  template void Solver<dim>::write_state(const io::OutputParameters &output, const std::string &name); \
  template model::ReducedLawSnapshot Solver<dim>::snapshot();
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
