#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/kernels/population_kernels.h>

#include <deal.II/base/exceptions.h>

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

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

    /// Neurons per chunk of the per-neuron sums of a sampled risk, and sampled
    /// rows of pair_block pairs per chunk: fixed, so that the chunks, and the
    /// order in which their sums are added, do not depend on the ranks.
    constexpr unsigned int neuron_chunk = 2048, row_chunk = 64;

    /**
     * sum_c f(c) over @p n_chunks chunks of @p width values, f(c, out) adding
     * chunk c's values to out: the chunks are dealt cyclically over the ranks
     * and their sums added in chunk order, so that the bits do not depend on
     * the number of ranks (each entry of the reduction has one non-zero
     * contribution, which adding zeros leaves exact).
     */
    template <typename Function>
    std::vector<double>
    ordered_chunk_sum(unsigned int n_chunks, unsigned int width, MPI_Comm comm, const Function &f)
    {
      int rank, size;
      MPI_Comm_rank(comm, &rank);
      MPI_Comm_size(comm, &size);
      std::vector<double> chunks(std::size_t(n_chunks) * width, 0.);
      for (unsigned int c = rank; c < n_chunks; c += size)
        f(c, &chunks[std::size_t(c) * width]);
      MPI_Allreduce(MPI_IN_PLACE, chunks.data(), chunks.size(), MPI_DOUBLE, MPI_SUM, comm);
      std::vector<double> total(width, 0.);
      for (unsigned int c = 0; c < n_chunks; ++c)
        for (unsigned int k = 0; k < width; ++k)
          total[k] += chunks[std::size_t(c) * width + k];
      return total;
    }

    /// A uniform integer in [0, n) from 64 random bits (u01 is in (0, 1]).
    unsigned int
    uniform_index(std::uint64_t bits, unsigned int n)
    {
      return std::min<unsigned int>(n - 1, r123::u01<double>(bits) * n);
    }
  } // namespace

  /// Every neuron of the network (all ranks') and what the pair terms need of it.
  struct NetworkRisk::Neurons
  {
    unsigned int        N;
    std::vector<double> w, a, z;
    /// Per neuron and class (0: y = +1, 1: y = -1): the standard deviation of
    /// <w, x>, its inverse, at [2 i + c], and the Hermite coefficients of sigma
    /// at that scale, at [(2 i + c) max_terms + k].
    std::vector<double> std_dev, inverse_std, coefficients;
    /// s_b^2 per class.
    std::vector<double> variance_of_block[2];
  };

  /// A block of up to pair_block neurons j: weights and Hermite coefficients
  /// term-major ([k stride + jj], [class][k stride + jj]).
  struct NetworkRisk::Column
  {
    const double                         *weights;
    const double                         *coefficients[2];
    std::size_t                           stride;
    unsigned int                          n_j;
    std::array<unsigned int, pair_block> j;
  };

  /// Covariances and correlations of neuron i with a Column per class, and the
  /// Mehler terms the block needs.
  struct NetworkRisk::Correlations
  {
    std::vector<double>            block_dot;
    std::array<double, pair_block> cov[2], rho[2];
    unsigned int                   terms[2];
  };

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

  NetworkRisk::Neurons
  NetworkRisk::prepare(const double *weights, const double *amplitudes, unsigned int n_local, MPI_Comm comm) const
  {
    const unsigned int d = problem.d;
    Neurons            n;
    n.w = gather_rows(weights, n_local, d, comm);
    n.N = n.w.size() / d;
    n.a.assign(n.N, 1.);
    if (problem.trainable_second_layer)
      n.a = gather_rows(amplitudes, n_local, 1, comm);

    const auto        &blocks   = problem.data.blocks();
    const auto        &setting  = problem.reduced_setting();
    const unsigned int n_blocks = blocks.size(), dim = setting.dimension();
    n.z.resize(std::size_t(n.N) * dim);
    n.std_dev.resize(2 * n.N);
    n.inverse_std.resize(2 * n.N);
    n.coefficients.resize(std::size_t(2) * n.N * max_terms);
    for (unsigned int i = 0; i < n.N; ++i)
      {
        setting.reduce(n.a[i], &n.w[std::size_t(i) * d], &n.z[i * dim]);
        for (unsigned int c = 0; c < 2; ++c)
          {
            double variance = 0.;
            for (unsigned int b = 0; b < n_blocks; ++b)
              {
                const double s = blocks[b].std_for(c == 0), r = setting.radius(&n.z[i * dim], b);
                variance += s * s * r * r;
              }
            n.std_dev[2 * i + c]     = std::sqrt(variance);
            n.inverse_std[2 * i + c] = variance > 0. ? 1. / n.std_dev[2 * i + c] : 0.;
            expectations->hermite_coefficients(n.std_dev[2 * i + c], max_terms,
                                               &n.coefficients[(2 * i + c) * max_terms]);
          }
      }
    for (unsigned int c = 0; c < 2; ++c)
      for (const auto &block : blocks)
        n.variance_of_block[c].push_back(std::pow(block.std_for(c == 0), 2));
    return n;
  }

  void
  NetworkRisk::diagonal_terms(const Neurons &n, unsigned int i, double &linear, double &quadratic, double &self) const
  {
    double vi = 0., diagonal = 0.;
    for (unsigned int c = 0; c < 2; ++c)
      {
        vi += (c == 0 ? -0.5 : 0.5) * expectations->q(n.std_dev[2 * i + c]);
        // rho = 1 exactly
        diagonal += 0.5 * expectations->second_moment(n.std_dev[2 * i + c]);
      }
    const unsigned int dim = problem.reduced_setting().dimension();
    linear += n.a[i] * vi;
    quadratic += n.a[i] * n.a[i] * diagonal;
    self += n.a[i] * n.a[i] * diagonal - reduced_kernels->U(&n.z[i * dim], &n.z[i * dim]);
  }

  void
  NetworkRisk::correlations(const Neurons &n, unsigned int i, const Column &column, Correlations &result) const
  {
    const auto        &blocks   = problem.data.blocks();
    const unsigned int n_blocks = blocks.size(), d = problem.d;
    result.block_dot.resize(n_blocks * pair_block);
    for (unsigned int b = 0, k0 = 0; b < n_blocks; k0 += blocks[b].size, ++b)
      block_dots(&n.w[std::size_t(i) * d], column.weights, column.stride, k0, blocks[b].size,
                 &result.block_dot[b * pair_block]);
    const double bins_per_unit = n_bins / max_series_correlation;
    for (unsigned int c = 0; c < 2; ++c)
      {
        auto &cov = result.cov[c], &rho = result.rho[c];
        cov.fill(0.);
        rho.fill(0.);
        result.terms[c] = 0;
        for (unsigned int jj = 0; jj < column.n_j; ++jj)
          {
            for (unsigned int b = 0; b < n_blocks; ++b)
              cov[jj] += n.variance_of_block[c][b] * result.block_dot[b * pair_block + jj];
            rho[jj] = cov[jj] * n.inverse_std[2 * i + c] * n.inverse_std[2 * column.j[jj] + c];
            if (std::abs(rho[jj]) < max_series_correlation)
              result.terms[c] =
                std::max(result.terms[c],
                         series_length[std::min<unsigned int>(n_bins - 1, std::abs(rho[jj]) * bins_per_unit)]);
          }
      }
  }

  void
  NetworkRisk::pair_values(const Neurons      &n,
                           unsigned int        i,
                           const Column       &column,
                           const Correlations &correlations,
                           double             *u,
                           unsigned int        control_terms,
                           double             *control) const
  {
    std::fill(u, u + pair_block, 0.);
    if (control)
      std::fill(control, control + pair_block, 0.);
    // The Mehler series of a block runs in lock step (as many terms as its
    // longest), so the Horner chains of the block are independent and vectorise.
    std::array<double, pair_block> value;
    for (unsigned int c = 0; c < 2; ++c)
      {
        const double *ai  = &n.coefficients[(2 * i + c) * max_terms];
        const auto   &rho = correlations.rho[c];
        block_series(ai, column.coefficients[c], column.stride, rho.data(), correlations.terms[c], value.data());
        for (unsigned int jj = 0; jj < column.n_j; ++jj)
          u[jj] += 0.5 * (std::abs(rho[jj]) < max_series_correlation ?
                            value[jj] :
                            expectations->pair(n.std_dev[2 * i + c], n.std_dev[2 * column.j[jj] + c],
                                               correlations.cov[c][jj]));
        if (control)
          {
            block_series(ai, column.coefficients[c], column.stride, rho.data(), control_terms, value.data());
            for (unsigned int jj = 0; jj < column.n_j; ++jj)
              control[jj] += 0.5 * value[jj];
          }
      }
  }

  NetworkRisk::Result
  NetworkRisk::operator()(const double *weights, const double *amplitudes, unsigned int n_local, MPI_Comm comm) const
  {
    const unsigned int d = problem.d;
    const Neurons      n = prepare(weights, amplitudes, n_local, comm);
    const unsigned int N = n.N;

    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    // The weights and the coefficients again, term-major ([k][j] and
    // [class][k][j], rows padded by a block of zeros), so that a block of j
    // is contiguous.
    const std::size_t   stride = N + pair_block;
    std::vector<double> weights_by_coordinate(std::size_t(d) * stride, 0.);
    for (unsigned int j = 0; j < N; ++j)
      for (unsigned int k = 0; k < d; ++k)
        weights_by_coordinate[std::size_t(k) * stride + j] = n.w[std::size_t(j) * d + k];
    std::vector<double> coefficients_by_term[2];
    for (unsigned int c = 0; c < 2; ++c)
      {
        coefficients_by_term[c].assign(max_terms * stride, 0.);
        for (unsigned int j = 0; j < N; ++j)
          for (unsigned int k = 0; k < max_terms; ++k)
            coefficients_by_term[c][k * stride + j] = n.coefficients[(2 * j + c) * max_terms + k];
      }
    Correlations                   correlations;
    std::array<double, pair_block> u;
    double                         linear = 0., quadratic = 0., self = 0.;
    // Rows are dealt out cyclically, row i holding the pairs (i, j >= i).
    for (unsigned int i = rank; i < N; i += size)
      {
        diagonal_terms(n, i, linear, quadratic, self);
        // The pairs (i, j > i) in blocks of j.
        double row = 0.;
        for (unsigned int j0 = i + 1; j0 < N; j0 += pair_block)
          {
            Column column{&weights_by_coordinate[j0],
                          {&coefficients_by_term[0][j0], &coefficients_by_term[1][j0]},
                          stride,
                          std::min(pair_block, N - j0),
                          {}};
            for (unsigned int jj = 0; jj < column.n_j; ++jj)
              column.j[jj] = j0 + jj;
            this->correlations(n, i, column, correlations);
            pair_values(n, i, column, correlations, u.data());
            for (unsigned int jj = 0; jj < column.n_j; ++jj)
              row += n.a[j0 + jj] * u[jj];
          }
        quadratic += 2. * n.a[i] * row;
      }
    double sums[3] = {linear, quadratic, self}, totals[3];
    MPI_Allreduce(sums, totals, 3, MPI_DOUBLE, MPI_SUM, comm);
    const double scale = problem.alpha / N;
    return {problem.data.second_moment_y() + 2. * scale * totals[0] + scale * scale * totals[1],
            scale * scale * totals[2]};
  }

  NetworkRisk::Result
  NetworkRisk::sampled(const double   *weights,
                       const double   *amplitudes,
                       unsigned int    n_local,
                       const Sampling &sampling,
                       MPI_Comm        comm) const
  {
    AssertThrow(sampling.pairs > 0 && sampling.control_terms <= 3,
                dealii::ExcMessage("NetworkRisk::sampled: needs pairs > 0 and at most 3 control terms"));
    const unsigned int d = problem.d, K = sampling.control_terms;
    const Neurons      n = prepare(weights, amplitudes, n_local, comm);
    const unsigned int N = n.N;

    // Per neuron, exactly: a V, the diagonal a^2 U and the self-interaction;
    // per class the moments of the control variate H_ij = sum_{k < K} b_ik b_jk
    // <u_i, u_j>^k (b_ik = a_i C_k(s_i), u_i = Sigma^{1/2} w_i / s_i, so that
    // <u_i, u_j> = rho_ij): m0 = sum b_0, m1 = sum b_1 u, m2 = sum b_2 u u^T
    // (upper triangle), and the diagonal sum_i H_ii.
    const unsigned int m1 = K > 1 ? d : 0, m2 = K > 2 ? d * (d + 1) / 2 : 0, per_class = 1 + m1 + m2;
    const unsigned int width = 4 + 2 * per_class;
    const auto        &blocks = problem.data.blocks();
    const auto chunk_sums = [&](unsigned int chunk, double *out) {
      std::vector<double> u(d);
      for (unsigned int i = chunk * neuron_chunk; i < std::min(N, (chunk + 1) * neuron_chunk); ++i)
        {
          diagonal_terms(n, i, out[0], out[1], out[2]);
          for (unsigned int c = 0; c < 2 && K > 0; ++c)
            {
              const double *C = &n.coefficients[(2 * i + c) * max_terms];
              double       *m = out + 4 + c * per_class, norm2 = 0.;
              for (unsigned int b = 0, k0 = 0; b < blocks.size(); k0 += blocks[b].size, ++b)
                for (unsigned int k = k0; k < k0 + blocks[b].size; ++k)
                  {
                    u[k] = std::sqrt(n.variance_of_block[c][b]) * n.w[std::size_t(i) * d + k] *
                           n.inverse_std[2 * i + c];
                    norm2 += u[k] * u[k];
                  }
              double beta[3] = {n.a[i] * C[0], n.a[i] * C[1], n.a[i] * C[2]}, diagonal = 0., power = 1.;
              for (unsigned int k = 0; k < K; ++k, power *= norm2)
                diagonal += beta[k] * beta[k] * power;
              out[3] += 0.5 * diagonal;
              m[0] += beta[0];
              for (unsigned int k = 0; k < m1; ++k)
                m[1 + k] += beta[1] * u[k];
              double *upper = m + 1 + m1;
              for (unsigned int k = 0; k < (m2 > 0 ? d : 0); upper += d - k, ++k)
                {
                  const double factor = beta[2] * u[k];
                  for (unsigned int l = k; l < d; ++l)
                    upper[l - k] += factor * u[l];
                }
            }
        }
    };
    const auto sums = ordered_chunk_sum((N + neuron_chunk - 1) / neuron_chunk, width, comm, chunk_sums);
    // sum_{i != j} H_ij = sum_{i, j} H_ij - sum_i H_ii
    double control_sum = -sums[3];
    for (unsigned int c = 0; c < 2 && K > 0; ++c)
      {
        const double *m = &sums[4 + c * per_class];
        double        moments = m[0] * m[0];
        for (unsigned int k = 0; k < m1; ++k)
          moments += m[1 + k] * m[1 + k];
        const double *upper = m + 1 + m1;
        for (unsigned int k = 0; k < (m2 > 0 ? d : 0); upper += d - k, ++k)
          for (unsigned int l = k; l < d; ++l)
            moments += (l == k ? 1. : 2.) * upper[l - k] * upper[l - k];
        control_sum += 0.5 * moments;
      }

    // Rows of pair_block pairs (i, j0), (i, j0 + 1), ... (indices mod N), i
    // and j0 uniform and independent: each pair of a row is uniform over all
    // N^2, so the row mean of 1{i != j} a_i a_j (U_ij - H_ij) estimates
    // sum_{i != j} (U_ij - H_ij) / N^2 without bias. Consecutive j are read
    // as one stream (random j each cost a cache miss, 4x slower at N = 25600);
    // the rows are independent, the pairs of a row are not (they share i), so
    // the standard error comes from the spread of the row means.
    const unsigned long n_rows   = (sampling.pairs + pair_block - 1) / pair_block;
    const auto          row_sums = [&](unsigned int chunk, double *out) {
      const r123::Philox4x64::key_type key = {{sampling.seed, sampling.stream}};
      r123::Philox4x64                 generator;
      std::vector<double>              weights_by_coordinate(d * pair_block), coefficients_by_term[2];
      for (auto &c : coefficients_by_term)
        c.resize(max_terms * pair_block);
      Correlations                   correlations;
      std::array<double, pair_block> u, control;
      for (unsigned long r = std::uint64_t(chunk) * row_chunk; r < std::min(n_rows, (chunk + 1ul) * row_chunk); ++r)
        {
          const r123::Philox4x64::ctr_type counter = {{sampling.record, r, 0, 0}};
          const auto                       bits    = generator(counter, key);
          const unsigned int               i = uniform_index(bits[0], N), j0 = uniform_index(bits[1], N);
          Column                           column{weights_by_coordinate.data(),
                        {coefficients_by_term[0].data(), coefficients_by_term[1].data()},
                        pair_block,
                        pair_block,
                        {}};
          for (unsigned int jj = 0; jj < pair_block; ++jj)
            {
              column.j[jj] = (j0 + jj) % N;
              for (unsigned int k = 0; k < d; ++k)
                weights_by_coordinate[k * pair_block + jj] = n.w[std::size_t(column.j[jj]) * d + k];
            }
          this->correlations(n, i, column, correlations);
          // Only the Hermite coefficients the series will read.
          const unsigned int terms = std::max({correlations.terms[0], correlations.terms[1], K});
          for (unsigned int c = 0; c < 2; ++c)
            for (unsigned int jj = 0; jj < pair_block; ++jj)
              for (unsigned int k = 0; k < terms; ++k)
                coefficients_by_term[c][k * pair_block + jj] = n.coefficients[(2 * column.j[jj] + c) * max_terms + k];
          pair_values(n, i, column, correlations, u.data(), K, control.data());
          double mean = 0.;
          for (unsigned int jj = 0; jj < pair_block; ++jj)
            if (column.j[jj] != i)
              mean += n.a[i] * n.a[column.j[jj]] * (u[jj] - control[jj]);
          mean /= pair_block;
          out[0] += mean;
          out[1] += mean * mean;
        }
    };
    const auto rows = ordered_chunk_sum((n_rows + row_chunk - 1) / row_chunk, 2, comm, row_sums);

    const double pairs     = double(N) * N;
    const double mean      = rows[0] / n_rows;
    const double variance  = n_rows > 1 ? std::max(0., rows[1] - n_rows * mean * mean) / (n_rows - 1.) : 0.;
    const double remainder = pairs * mean, standard_error = pairs * std::sqrt(variance / n_rows);
    const double scale = problem.alpha / N;
    return {problem.data.second_moment_y() + 2. * scale * sums[0] + scale * scale * (sums[1] + control_sum + remainder),
            scale * scale * sums[2], scale * scale * standard_error};
  }
} // namespace mfdd::kernels
