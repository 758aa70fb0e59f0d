#include <mfdd/io/output.h>
#include <mfdd/pde/potential.h>

#include <cmath>
#include <limits>
#include <map>

namespace mfdd::pde
{
  // ---------------------------------------------------------------- prescribed
  template <int dim>
  PrescribedPotential<dim>::PrescribedPotential(std::shared_ptr<const dealii::Function<dim>> psi)
    : function(std::move(psi))
  {}

  template <int dim>
  void
  PrescribedPotential<dim>::reinit(const dealii::BoundingBox<dim> &,
                                   const std::vector<Point<dim>> &,
                                   const std::vector<Point<dim>> &evaluation_points)
  {
    points = evaluation_points;
  }

  template <int dim>
  void
  PrescribedPotential<dim>::evaluate(std::vector<double> &psi, std::vector<Tensor<1, dim>> &gradient) const
  {
    psi.resize(points.size());
    gradient.resize(points.size());
    for (unsigned int i = 0; i < points.size(); ++i)
      {
        psi[i]      = function->value(points[i]);
        gradient[i] = function->gradient(points[i]);
      }
  }

  template <int dim>
  double
  PrescribedPotential<dim>::value(const Point<dim> &z, Tensor<1, dim> *gradient) const
  {
    if (gradient)
      *gradient = function->gradient(z);
    return function->value(z);
  }

  template <int dim>
  double
  PrescribedPotential<dim>::risk() const
  {
    return std::numeric_limits<double>::quiet_NaN();
  }

  // ----------------------------------------------------------------- Chebyshev
  ChebyshevInterpolation::ChebyshevInterpolation(double lower, double upper, unsigned int n)
    : nodes(n)
    , weights(n)
  {
    for (unsigned int j = 0; j < n; ++j)
      {
        nodes[j]   = n == 1 ? 0.5 * (lower + upper) :
                              lower + 0.5 * (upper - lower) * (1. - std::cos(M_PI * j / (n - 1.)));
        weights[j] = (j % 2 == 0 ? 1. : -1.) * ((j == 0 || j + 1 == n) ? 0.5 : 1.);
      }
  }

  void
  ChebyshevInterpolation::basis(double x, double *values, double *derivatives) const
  {
    const unsigned int n     = nodes.size();
    const double       scale = nodes.back() - nodes.front();
    for (unsigned int i = 0; i < n; ++i)
      if (std::abs(x - nodes[i]) <= 1e-14 * scale)
        {
          // At a node: Kronecker delta, derivatives from the differentiation matrix.
          double diagonal = 0.;
          for (unsigned int j = 0; j < n; ++j)
            {
              values[j] = (i == j);
              if (j != i)
                {
                  derivatives[j] = (weights[j] / weights[i]) / (nodes[i] - nodes[j]);
                  diagonal -= derivatives[j];
                }
            }
          derivatives[i] = diagonal;
          return;
        }
    double sum = 0., sum_derivative = 0.;
    for (unsigned int j = 0; j < n; ++j)
      {
        const double c = weights[j] / (x - nodes[j]);
        values[j]      = c;
        sum += c;
        sum_derivative -= c / (x - nodes[j]);
      }
    for (unsigned int j = 0; j < n; ++j)
      {
        const double l = values[j] / sum;
        derivatives[j] = l * (-1. / (x - nodes[j]) - sum_derivative / sum);
        values[j]      = l;
      }
  }

  // ------------------------------------------------------------------ nonlocal
  template <int dim>
  NonlocalPotential<dim>::NonlocalPotential(const kernels::PopulationKernels &kernels,
                                            unsigned int                      n_radius_nodes,
                                            MPI_Comm                          communicator)
    : kernels(kernels)
    , problem(kernels.problem())
    , n_radius_nodes(n_radius_nodes)
    , communicator(communicator)
  {
    AssertThrow(kernels.dimension() == dim, dealii::ExcDimensionMismatch(kernels.dimension(), dim));
  }

  template <int dim>
  void
  NonlocalPotential<dim>::fill_basis(const std::vector<Point<dim>> &points, TensorBasis &basis) const
  {
    const unsigned int first = first_radius(), n0 = axes[0].size();
    const bool         two_radii = axes.size() == 2;
    basis.site.resize(points.size());
    basis.amplitude.clear();
    basis.first_values.clear();
    basis.first_derivatives.clear();
    basis.row.clear();
    basis.last_values.clear();
    basis.last_derivatives.clear();
    std::map<std::pair<double, double>, unsigned int> sites;
    std::map<double, unsigned int>                    rows;
    std::vector<double>                               values(n0), derivatives(n0);
    for (unsigned int p = 0; p < points.size(); ++p)
      {
        if (first == 1)
          basis.amplitude.push_back(points[p][0]);
        const double x = points[p][first], y = two_radii ? points[p][dim - 1] : 0.;
        const auto [site, new_site] = sites.emplace(std::make_pair(x, y), sites.size());
        basis.site[p]               = site->second;
        if (!new_site)
          continue;
        axes[0].basis(x, values.data(), derivatives.data());
        basis.first_values.insert(basis.first_values.end(), values.begin(), values.end());
        basis.first_derivatives.insert(basis.first_derivatives.end(), derivatives.begin(), derivatives.end());
        if (!two_radii)
          continue;
        const unsigned int n1     = axes[1].size();
        const auto [row, new_row] = rows.emplace(y, rows.size());
        basis.row.push_back(row->second);
        if (new_row)
          {
            std::vector<double> last(n1), last_derivatives(n1);
            axes[1].basis(y, last.data(), last_derivatives.data());
            basis.last_values.insert(basis.last_values.end(), last.begin(), last.end());
            basis.last_derivatives.insert(basis.last_derivatives.end(), last_derivatives.begin(), last_derivatives.end());
          }
      }
    basis.n_sites = sites.size();
  }

  template <int dim>
  void
  NonlocalPotential<dim>::reinit(const dealii::BoundingBox<dim> &box,
                                 const std::vector<Point<dim>>  &density_points,
                                 const std::vector<Point<dim>>  &points)
  {
    const bool same_box = !axes.empty() && table_box.get_boundary_points() == box.get_boundary_points();
    if (!same_box)
      {
        table_box = box;
        axes.clear();
        const unsigned int first = first_radius();
        for (unsigned int k = first; k < dim; ++k)
          axes.emplace_back(box.lower_bound(k), box.upper_bound(k), n_radius_nodes);
        // Node coordinates (a = 1 first if the setting has an amplitude), the first radius fastest.
        unsigned int K = 1;
        for (const auto &axis : axes)
          K *= axis.size();
        std::vector<double> z(K * dim, 1.);
        // Radii at the nodes are moved off 0 by 1e-12 of the box: the kernels
        // are continuous there, but the two-block kernel is NaN when all radii
        // vanish (a degenerate Gaussian).
        for (unsigned int i = 0; i < K; ++i)
          for (unsigned int k = first, index = i; k < dim; index /= axes[k - first].size(), ++k)
            {
              const auto  &axis  = axes[k - first];
              const double floor = 1e-12 * (box.upper_bound(k) - box.lower_bound(k));
              z[i * dim + k]     = std::max(floor, axis.node(index % axis.size()));
            }
        node_values_V.resize(K);
        for (const double x : z)
          AssertThrow(std::isfinite(x), dealii::ExcInternalError());
        for (unsigned int i = 0; i < K; ++i)
          {
            node_values_V[i] = kernels.V(&z[i * dim]);
            if (!std::isfinite(node_values_V[i]))
              throw std::runtime_error("NonlocalPotential: V is not finite at an interpolation node");
          }
        node_points = std::move(z);
        kernel_table.clear();
        moments.assign(K, 0.);
        node_values_psi = node_values_V;
      }
    for (const auto &p : density_points)
      for (unsigned int k = 0; k < dim; ++k)
        AssertThrow(p[k] >= box.lower_bound(k) - 1e-12 && p[k] <= box.upper_bound(k) + 1e-12,
                    dealii::ExcMessage("density point outside the interpolation box"));
    fill_basis(density_points, density_basis);
    fill_basis(points, evaluation_basis);
    evaluation_points = points;
  }

  template <int dim>
  void
  NonlocalPotential<dim>::build_kernel_table()
  {
    // Rows shared out over the ranks, then summed: each entry is one rank's
    // number plus zeros.
    const unsigned int   K       = n_nodes();
    const unsigned int   n_ranks = dealii::Utilities::MPI::n_mpi_processes(communicator);
    const unsigned int   rank    = dealii::Utilities::MPI::this_mpi_process(communicator);
    io::ProgressReporter progress("pde: kernel table", 1.);
    kernel_table = kernels.U_table(node_points, n_ranks, rank, [&](double done) { progress.update(done); });
    if (n_ranks > 1)
      {
        const int ierr = MPI_Allreduce(MPI_IN_PLACE, kernel_table.data(), K * K, MPI_DOUBLE, MPI_SUM, communicator);
        AssertThrowMPI(ierr);
      }
    for (const double u : kernel_table)
      if (!std::isfinite(u))
        throw std::runtime_error("NonlocalPotential: U is not finite at an interpolation node");
  }

  template <int dim>
  void
  NonlocalPotential<dim>::update(const std::vector<double> &density_weights)
  {
    if (kernel_table.empty())
      build_kernel_table();
    const unsigned int K  = n_nodes();
    const unsigned int n0 = axes[0].size();
    // With an amplitude the moments are those of a rho-bar (V and U are
    // linear in a). The weights are summed per site first, in point order.
    std::vector<double> site_weights(density_basis.n_sites, 0.);
    for (unsigned int p = 0; p < density_weights.size(); ++p)
      site_weights[density_basis.site[p]] +=
        density_basis.amplitude.empty() ? density_weights[p] : density_weights[p] * density_basis.amplitude[p];
    std::fill(moments.begin(), moments.end(), 0.);
    if (axes.size() == 1)
      for (unsigned int s = 0; s < density_basis.n_sites; ++s)
        {
          const double  w = site_weights[s];
          const double *l = &density_basis.first_values[s * n0];
          for (unsigned int i = 0; i < n0; ++i)
            moments[i] += w * l[i];
        }
    else
      {
        // m_{ij} = sum_rows ell_j(y_row) sum_{s in row} w_s ell_i(x_s)
        const unsigned int  n1     = axes[1].size();
        const unsigned int  n_rows = density_basis.last_values.size() / n1;
        std::vector<double> row_sums(n_rows * n0, 0.);
        for (unsigned int s = 0; s < density_basis.n_sites; ++s)
          {
            const double  w   = site_weights[s];
            const double *l   = &density_basis.first_values[s * n0];
            double       *sum = &row_sums[density_basis.row[s] * n0];
            for (unsigned int i = 0; i < n0; ++i)
              sum[i] += w * l[i];
          }
        for (unsigned int u = 0; u < n_rows; ++u)
          for (unsigned int j = 0; j < n1; ++j)
            {
              const double ell = density_basis.last_values[u * n1 + j];
              for (unsigned int i = 0; i < n0; ++i)
                moments[j * n0 + i] += ell * row_sums[u * n0 + i];
            }
      }
    const double alpha = problem.alpha;
    for (unsigned int i = 0; i < K; ++i)
      {
        double sum = 0.;
        for (unsigned int j = 0; j < K; ++j)
          sum += kernel_table[i * K + j] * moments[j];
        node_values_psi[i] = node_values_V[i] + alpha * sum;
      }
  }

  template <int dim>
  void
  NonlocalPotential<dim>::interpolate(const TensorBasis &basis, double *psi, Tensor<1, dim> *gradient) const
  {
    const unsigned int first = first_radius();
    const unsigned int n0    = axes[0].size();
    const unsigned int n     = basis.n_sites;
    // phi (psi at a = 1) and its derivatives in the radii, per site.
    std::vector<double> phi(n), d_first(n), d_last(axes.size() == 2 ? n : 0);
    if (axes.size() == 1)
      for (unsigned int s = 0; s < n; ++s)
        {
          const double *l = &basis.first_values[s * n0], *dl = &basis.first_derivatives[s * n0];
          double        value = 0., derivative = 0.;
          for (unsigned int i = 0; i < n0; ++i)
            {
              value += l[i] * node_values_psi[i];
              derivative += dl[i] * node_values_psi[i];
            }
          phi[s]     = value;
          d_first[s] = derivative;
        }
    else
      {
        // Per distinct last radius y: the sums over axis 1 of psi_ij ell_j(y) and of psi_ij ell_j'(y).
        const unsigned int  n1     = axes[1].size();
        const unsigned int  n_rows = basis.last_values.size() / n1;
        std::vector<double> row_values(n_rows * n0, 0.), row_derivatives(n_rows * n0, 0.);
        for (unsigned int u = 0; u < n_rows; ++u)
          for (unsigned int j = 0; j < n1; ++j)
            {
              const double ell = basis.last_values[u * n1 + j], d_ell = basis.last_derivatives[u * n1 + j];
              for (unsigned int i = 0; i < n0; ++i)
                {
                  row_values[u * n0 + i] += ell * node_values_psi[j * n0 + i];
                  row_derivatives[u * n0 + i] += d_ell * node_values_psi[j * n0 + i];
                }
            }
        for (unsigned int s = 0; s < n; ++s)
          {
            const double *l = &basis.first_values[s * n0], *dl = &basis.first_derivatives[s * n0];
            const double *row = &row_values[basis.row[s] * n0], *row_d = &row_derivatives[basis.row[s] * n0];
            double        value = 0., d0 = 0., d1 = 0.;
            for (unsigned int i = 0; i < n0; ++i)
              {
                value += l[i] * row[i];
                d0 += dl[i] * row[i];
                d1 += l[i] * row_d[i];
              }
            phi[s]     = value;
            d_first[s] = d0;
            d_last[s]  = d1;
          }
      }
    // psi = a phi: d psi / da = phi, d psi / dr = a d phi / dr.
    for (unsigned int p = 0; p < basis.site.size(); ++p)
      {
        const unsigned int s = basis.site[p];
        const double       a = basis.amplitude.empty() ? 1. : basis.amplitude[p];
        psi[p]               = a * phi[s];
        gradient[p]          = Tensor<1, dim>();
        gradient[p][first]   = a * d_first[s];
        if (axes.size() == 2)
          gradient[p][dim - 1] = a * d_last[s];
        if (!basis.amplitude.empty())
          gradient[p][0] = phi[s];
      }
  }

  template <int dim>
  void
  NonlocalPotential<dim>::evaluate(std::vector<double> &psi, std::vector<Tensor<1, dim>> &gradient) const
  {
    const unsigned int n      = evaluation_points.size();
    const double       lambda = problem.weight_decay;
    psi.resize(n);
    gradient.resize(n);
    interpolate(evaluation_basis, psi.data(), gradient.data());
    if (lambda != 0.)
      for (unsigned int p = 0; p < n; ++p)
        {
          psi[p] += 0.5 * lambda * evaluation_points[p].norm_square();
          gradient[p] += lambda * evaluation_points[p];
        }
  }

  template <int dim>
  double
  NonlocalPotential<dim>::value(const Point<dim> &z, Tensor<1, dim> *gradient) const
  {
    TensorBasis basis;
    fill_basis({z}, basis);
    double         value;
    Tensor<1, dim> g;
    interpolate(basis, &value, &g);
    if (gradient)
      *gradient = g + problem.weight_decay * z;
    return value + 0.5 * problem.weight_decay * z.norm_square();
  }

  template <int dim>
  double
  NonlocalPotential<dim>::risk() const
  {
    AssertThrow(!kernel_table.empty(), dealii::ExcMessage("NonlocalPotential::risk() before update()"));
    const unsigned int K     = n_nodes();
    const double       alpha = problem.alpha;
    double             linear = 0., quadratic = 0.;
    for (unsigned int i = 0; i < K; ++i)
      {
        linear += node_values_V[i] * moments[i];
        double sum = 0.;
        for (unsigned int j = 0; j < K; ++j)
          sum += kernel_table[i * K + j] * moments[j];
        quadratic += moments[i] * sum;
      }
    return problem.reduced_setting().data_model().second_moment_y() + 2. * alpha * linear +
           alpha * alpha * quadratic;
  }

  template class PrescribedPotential<1>;
  template class PrescribedPotential<2>;
  template class PrescribedPotential<3>;
  template class NonlocalPotential<1>;
  template class NonlocalPotential<2>;
  template class NonlocalPotential<3>;
} // namespace mfdd::pde
