#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/kernels/population_kernels.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace mfdd::kernels
{
  namespace
  {
    /// Terms of the Mehler series kept per pair at most.
    constexpr unsigned int max_terms = 64;
    /// Relative truncation bound per pair: |rho|^K <= series_tolerance (SCIENCE.md
    /// R_N is then exact to about 1e-13 relative; the benchmark checks 1e-8).
    constexpr double series_tolerance = 1e-13;
    /// Number of bins of |rho| in the table of the series lengths.
    constexpr unsigned int n_bins = 1024;

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

  NetworkRisk::NetworkRisk(const model::Problem &problem)
    : problem(problem)
    , expectations(GaussianExpectations::create(*problem.activation))
    , reduced_kernels(std::make_shared<PopulationKernels>(problem))
  {
    // Series length for |rho| up to the upper edge of each bin.
    series_length.resize(n_bins);
    max_series_correlation = std::pow(series_tolerance, 1. / max_terms);
    for (unsigned int b = 0; b < n_bins; ++b)
      {
        const double rho   = max_series_correlation * (b + 1.) / n_bins;
        series_length[b] = std::min<unsigned int>(max_terms, std::ceil(std::log(series_tolerance) / std::log(rho)));
      }
  }

  NetworkRisk::~NetworkRisk() = default;

  NetworkRisk::Result
  NetworkRisk::operator()(const double *weights, const double *amplitudes, unsigned int n_local, MPI_Comm comm) const
  {
    const unsigned int  d         = problem.d;
    const auto          w         = gather_rows(weights, n_local, d, comm);
    const unsigned int  N         = w.size() / d;
    std::vector<double> a(N, 1.);
    if (problem.trainable_second_layer)
      a = gather_rows(amplitudes, n_local, 1, comm);

    const auto        &blocks   = problem.data.blocks();
    const auto        &setting  = problem.reduced_setting();
    const unsigned int n_blocks = blocks.size(), dim = setting.dimension();

    // Per neuron and class (0: y = +1, 1: y = -1), hoisted out of the pair
    // loop: the standard deviation of <w, x>, its inverse and the Hermite
    // coefficients of sigma at that scale.
    std::vector<double> z(N * dim), std_dev(2 * N), inverse_std(2 * N), coefficients(2 * N * max_terms);
    for (unsigned int i = 0; i < N; ++i)
      {
        setting.reduce(a[i], &w[i * d], &z[i * dim]);
        for (unsigned int c = 0; c < 2; ++c)
          {
            double variance = 0.;
            for (unsigned int b = 0; b < n_blocks; ++b)
              {
                const double s = blocks[b].std_for(c == 0), r = setting.radius(&z[i * dim], b);
                variance += s * s * r * r;
              }
            std_dev[2 * i + c]     = std::sqrt(variance);
            inverse_std[2 * i + c] = variance > 0. ? 1. / std_dev[2 * i + c] : 0.;
            expectations->hermite_coefficients(std_dev[2 * i + c], max_terms, &coefficients[(2 * i + c) * max_terms]);
          }
      }

    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    std::vector<double> block_dot(n_blocks);
    double              linear = 0., quadratic = 0., self = 0.;
    // Rows are dealt out cyclically, row i holding the pairs (i, j >= i).
    for (unsigned int i = rank; i < N; i += size)
      {
        double vi = 0., diagonal = 0.;
        for (unsigned int c = 0; c < 2; ++c)
          {
            vi += (c == 0 ? -0.5 : 0.5) * expectations->q(std_dev[2 * i + c]);
            // rho = 1 exactly
            diagonal += 0.5 * expectations->second_moment(std_dev[2 * i + c]);
          }
        linear += a[i] * vi;
        quadratic += a[i] * a[i] * diagonal;
        self += a[i] * a[i] * diagonal - reduced_kernels->U(&z[i * dim], &z[i * dim]);

        const double *wi  = &w[i * d];
        double        row = 0.;
        for (unsigned int j = i + 1; j < N; ++j)
          {
            const double *wj = &w[j * d];
            for (unsigned int b = 0, k = 0; b < n_blocks; ++b)
              {
                double dot = 0.;
                for (const unsigned int end = k + blocks[b].size; k < end; ++k)
                  dot += wi[k] * wj[k];
                block_dot[b] = dot;
              }
            double u = 0.;
            for (unsigned int c = 0; c < 2; ++c)
              {
                double cov = 0.;
                for (unsigned int b = 0; b < n_blocks; ++b)
                  {
                    const double s = blocks[b].std_for(c == 0);
                    cov += s * s * block_dot[b];
                  }
                u += 0.5 * pair_term(i, j, c, cov, std_dev, inverse_std, coefficients);
              }
            row += a[j] * u;
          }
        quadratic += 2. * a[i] * row;
      }
    double sums[3] = {linear, quadratic, self}, totals[3];
    MPI_Allreduce(sums, totals, 3, MPI_DOUBLE, MPI_SUM, comm);
    const double scale = problem.alpha / N;
    return {problem.data.second_moment_y() + 2. * scale * totals[0] + scale * scale * totals[1],
            scale * scale * totals[2]};
  }

  double
  NetworkRisk::pair_term(unsigned int               i,
                         unsigned int               j,
                         unsigned int               c,
                         double                     cov,
                         const std::vector<double> &std_dev,
                         const std::vector<double> &inverse_std,
                         const std::vector<double> &coefficients) const
  {
    const double rho     = cov * inverse_std[2 * i + c] * inverse_std[2 * j + c];
    const double abs_rho = std::abs(rho);
    if (abs_rho >= max_series_correlation)
      return expectations->pair(std_dev[2 * i + c], std_dev[2 * j + c], cov);
    // Mehler series sum_k a_k(s_i) a_k(s_j) rho^k by Horner's scheme.
    const unsigned int n  = series_length[std::min<unsigned int>(n_bins - 1, abs_rho / max_series_correlation * n_bins)];
    const double      *ai = &coefficients[(2 * i + c) * max_terms], *aj = &coefficients[(2 * j + c) * max_terms];
    double             value = 0.;
    for (unsigned int k = n; k-- > 0;)
      value = value * rho + ai[k] * aj[k];
    return value;
  }
} // namespace mfdd::kernels
