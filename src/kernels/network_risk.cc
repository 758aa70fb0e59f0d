#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/kernels/population_kernels.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

namespace mfdd::kernels
{
  namespace
  {
    /// Terms of the Mehler series kept per pair at most.
    constexpr unsigned int max_terms = 64;
    /// Relative truncation bound per pair: |rho|^K <= series_tolerance;
    /// R_N is then exact to about 1e-13 relative (the benchmark checks 1e-8).
    constexpr double series_tolerance = 1e-13;
    /// Number of bins of |rho| in the table of the series lengths.
    constexpr unsigned int n_bins = 1024;
    /// Pairs (i, j) whose series are summed together (vector lanes times chains).
    constexpr unsigned int pair_block = 16;

    // The two inner loops of the pair sum work on a block of pair_block j at
    // once, as one GCC vector (split into the machine's registers), compiled
    // for AVX-512, AVX2 and plain x86-64 and chosen at load time.
    typedef double Lanes __attribute__((vector_size(pair_block * sizeof(double))));

    Lanes
    load(const double *p)
    {
      Lanes v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }

    /// dot[jj] = sum_{k in [k0, k0 + size)} w_i[k] wt[k stride + jj], with wt the
    /// weights term-major from column j0 on.
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
    block_dots(const double *wi, const double *wt, std::size_t stride, unsigned int k0, unsigned int size, double *dot)
    {
      Lanes sum = {};
      for (unsigned int k = k0; k < k0 + size; ++k)
        sum += wi[k] * load(wt + k * stride);
      std::memcpy(dot, &sum, sizeof sum);
    }

    /// value[jj] = sum_{k < terms} ai[k] aj[k stride + jj] rho[jj]^k by Horner's
    /// scheme, the pair_block chains in lock step.
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
    block_series(const double *ai, const double *aj, std::size_t stride, const double *rho, unsigned int terms,
                 double *value)
    {
      const Lanes r   = load(rho);
      Lanes       sum = {};
      for (unsigned int k = terms; k-- > 0;)
        sum = sum * r + ai[k] * load(aj + k * stride);
      std::memcpy(value, &sum, sizeof sum);
    }

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
    // The weights and the coefficients again, term-major ([k][j] and
    // [class][k][j], rows padded by a block of zeros), so that a block of j
    // is contiguous; and s_b^2 per class.
    const unsigned int  stride = N + pair_block;
    std::vector<double> weights_by_coordinate(std::size_t(d) * stride, 0.);
    for (unsigned int j = 0; j < N; ++j)
      for (unsigned int k = 0; k < d; ++k)
        weights_by_coordinate[std::size_t(k) * stride + j] = w[std::size_t(j) * d + k];
    std::vector<double> coefficients_by_term[2], variance_of_block[2];
    for (unsigned int c = 0; c < 2; ++c)
      {
        coefficients_by_term[c].assign(max_terms * stride, 0.);
        for (unsigned int j = 0; j < N; ++j)
          for (unsigned int k = 0; k < max_terms; ++k)
            coefficients_by_term[c][k * stride + j] = coefficients[(2 * j + c) * max_terms + k];
        for (const auto &block : blocks)
          variance_of_block[c].push_back(std::pow(block.std_for(c == 0), 2));
      }
    std::vector<double> block_dot(n_blocks * pair_block);
    const double        bins_per_unit = n_bins / max_series_correlation;
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

        // The pairs (i, j > i) in blocks of j: the Mehler series of a block
        // runs in lock step (as many terms as its longest), so the Horner
        // chains of the block are independent and vectorise.
        double row = 0.;
        for (unsigned int j0 = i + 1; j0 < N; j0 += pair_block)
          {
            const unsigned int n_j = std::min(pair_block, N - j0);
            for (unsigned int b = 0, k0 = 0; b < n_blocks; k0 += blocks[b].size, ++b)
              block_dots(&w[std::size_t(i) * d], &weights_by_coordinate[j0], stride, k0, blocks[b].size,
                         &block_dot[b * pair_block]);
            std::array<double, pair_block> u{};
            for (unsigned int c = 0; c < 2; ++c)
              {
                std::array<double, pair_block> cov{}, rho{}, value;
                unsigned int                   terms = 0;
                for (unsigned int jj = 0; jj < n_j; ++jj)
                  {
                    for (unsigned int b = 0; b < n_blocks; ++b)
                      cov[jj] += variance_of_block[c][b] * block_dot[b * pair_block + jj];
                    rho[jj] = cov[jj] * inverse_std[2 * i + c] * inverse_std[2 * (j0 + jj) + c];
                    if (std::abs(rho[jj]) < max_series_correlation)
                      terms = std::max(
                        terms, series_length[std::min<unsigned int>(n_bins - 1, std::abs(rho[jj]) * bins_per_unit)]);
                  }
                block_series(&coefficients[(2 * i + c) * max_terms], &coefficients_by_term[c][j0], stride,
                             rho.data(), terms, value.data());
                for (unsigned int jj = 0; jj < n_j; ++jj)
                  u[jj] += 0.5 * (std::abs(rho[jj]) < max_series_correlation ?
                                    value[jj] :
                                    expectations->pair(std_dev[2 * i + c], std_dev[2 * (j0 + jj) + c], cov[jj]));
              }
            for (unsigned int jj = 0; jj < n_j; ++jj)
              row += a[j0 + jj] * u[jj];
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
