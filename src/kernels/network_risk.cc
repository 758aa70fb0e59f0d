#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/kernels/population_kernels.h>

#include <cmath>
#include <numeric>
#include <vector>

namespace mfdd::kernels
{
  NetworkRisk::NetworkRisk(const model::Problem &problem)
    : problem(problem)
    , expectations(GaussianExpectations::create(*problem.activation))
    , reduced_kernels(std::make_shared<PopulationKernels>(problem))
  {}

  NetworkRisk::~NetworkRisk() = default;

  namespace
  {
    /// All ranks' rows of a row-major array with @p width entries per row.
    std::vector<double>
    gather_rows(const double *local, unsigned int n_local, unsigned int width, MPI_Comm comm)
    {
      int size;
      MPI_Comm_size(comm, &size);
      const int        my_count = n_local * width;
      std::vector<int> counts(size), offsets(size, 0);
      MPI_Allgather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
      std::partial_sum(counts.begin(), counts.end() - 1, offsets.begin() + 1);
      std::vector<double> all(offsets.back() + counts.back());
      MPI_Allgatherv(local, my_count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, comm);
      return all;
    }
  } // namespace

  NetworkRisk::Result
  NetworkRisk::operator()(const double *weights, const double *amplitudes, unsigned int n_local, MPI_Comm comm) const
  {
    const unsigned int d         = problem.d;
    const bool         trainable = problem.trainable_second_layer;
    const auto         w         = gather_rows(weights, n_local, d, comm);
    const unsigned int N         = w.size() / d;
    std::vector<double> a(N, 1.);
    if (trainable)
      a = gather_rows(amplitudes, n_local, 1, comm);

    const auto        &blocks   = problem.data.blocks();
    const auto        &setting  = problem.reduced_setting();
    const unsigned int n_blocks = blocks.size();

    // Per neuron: block radii and, per class, the standard deviation of <w, x>.
    std::vector<double> std_plus(N), std_minus(N), z(N * setting.dimension());
    for (unsigned int i = 0; i < N; ++i)
      {
        setting.reduce(a[i], &w[i * d], &z[i * setting.dimension()]);
        double var_plus = 0., var_minus = 0.;
        for (unsigned int b = 0; b < n_blocks; ++b)
          {
            const double r = setting.radius(&z[i * setting.dimension()], b);
            var_plus += blocks[b].std_plus * blocks[b].std_plus * r * r;
            var_minus += blocks[b].std_minus * blocks[b].std_minus * r * r;
          }
        std_plus[i]  = std::sqrt(var_plus);
        std_minus[i] = std::sqrt(var_minus);
      }

    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    // Rows are dealt out cyclically: row i holds N - i pair terms.
    double linear = 0., quadratic = 0., self = 0.;
    for (unsigned int i = rank; i < N; i += size)
      {
        linear += a[i] * 0.5 * (expectations->q(std_minus[i]) - expectations->q(std_plus[i]));
        const double diagonal = 0.5 * (expectations->second_moment(std_plus[i]) + expectations->second_moment(std_minus[i]));
        const double *zi      = &z[i * setting.dimension()];
        quadratic += a[i] * a[i] * diagonal;
        self += a[i] * a[i] * diagonal - reduced_kernels->U(zi, zi);
        double row = 0.;
        for (unsigned int j = i + 1; j < N; ++j)
          {
            double cov_plus = 0., cov_minus = 0.;
            unsigned int k = 0;
            for (unsigned int b = 0; b < n_blocks; ++b)
              {
                double dot = 0.;
                for (unsigned int l = 0; l < blocks[b].size; ++l, ++k)
                  dot += w[i * d + k] * w[j * d + k];
                cov_plus += blocks[b].std_plus * blocks[b].std_plus * dot;
                cov_minus += blocks[b].std_minus * blocks[b].std_minus * dot;
              }
            row += a[j] * 0.5 *
                   (expectations->pair(std_plus[i], std_plus[j], cov_plus) +
                    expectations->pair(std_minus[i], std_minus[j], cov_minus));
          }
        quadratic += 2. * a[i] * row;
      }
    double sums[3] = {linear, quadratic, self}, totals[3];
    MPI_Allreduce(sums, totals, 3, MPI_DOUBLE, MPI_SUM, comm);
    const double scale = problem.alpha / N;
    return {problem.data.second_moment_y() + 2. * scale * totals[0] + scale * scale * totals[1],
            scale * scale * totals[2]};
  }
} // namespace mfdd::kernels
