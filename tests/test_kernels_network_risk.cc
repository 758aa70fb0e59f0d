// kernels::NetworkRisk (run on 2 MPI ranks) against the direct pair sum
// R_N = E y^2 + (2 alpha/N) sum_i a_i v(w_i) + (alpha/N)^2 sum_{i,j} a_i a_j u(w_i, w_j)
// written here with GaussianExpectations::pair at the actual covariances
// (closed form, no Mehler series, no PopulationKernels), for every split of
// the neurons: all on one rank, uneven split over the two ranks, MPI_COMM_SELF.
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/kernels/population_kernels.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>

#include <gtest/gtest.h>

#include "kernel_reference.h"

using namespace mfdd;

namespace
{
  struct Direct
  {
    double risk, self_interaction;
  };

  Direct
  direct_risk(const model::Problem &problem, const std::vector<double> &w, const std::vector<double> &a)
  {
    const auto         expectations = kernels::GaussianExpectations::create(*problem.activation);
    const kernels::PopulationKernels reduced(problem);
    const unsigned int d = problem.d, N = a.size();
    const auto        &blocks = problem.data.blocks();
    const auto         amplitude = [&](unsigned int i) { return problem.trainable_second_layer ? a[i] : 1.; };
    double             linear = 0., quadratic = 0., self = 0.;
    for (unsigned int i = 0; i < N; ++i)
      for (unsigned int j = 0; j < N; ++j)
        {
          double u = 0., v = 0.;
          for (const bool plus : {true, false})
            {
              double var = 0., varp = 0., cov = 0.;
              for (unsigned int b = 0, k0 = 0; b < blocks.size(); k0 += blocks[b].size, ++b)
                for (unsigned int k = k0; k < k0 + blocks[b].size; ++k)
                  {
                    const double s2 = std::pow(blocks[b].std_for(plus), 2);
                    var += s2 * w[i * d + k] * w[i * d + k];
                    varp += s2 * w[j * d + k] * w[j * d + k];
                    cov += s2 * w[i * d + k] * w[j * d + k];
                  }
              u += 0.5 * expectations->pair(std::sqrt(var), std::sqrt(varp), i == j ? var : cov);
              v += (plus ? -0.5 : 0.5) * expectations->q(std::sqrt(var));
            }
          quadratic += amplitude(i) * amplitude(j) * u;
          if (j == 0)
            linear += amplitude(i) * v;
          if (i == j)
            {
              std::vector<double> z(problem.reduced_setting().dimension());
              problem.reduced_setting().reduce(amplitude(i), &w[i * d], z.data());
              self += amplitude(i) * amplitude(i) * u - reduced.U(z.data(), z.data());
            }
        }
    const double scale = problem.alpha / N;
    return {1. + 2. * scale * linear + scale * scale * quadratic, scale * scale * self};
  }
} // namespace

TEST(NetworkRisk, EqualsDirectPairSumOnEverySplit)
{
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::vector<std::vector<std::pair<std::string, std::string>>> settings = {
    {{"Dimension d", "12"}},
    {{"Dimension d", "12"}, {"Activation", "relu"}, {"Second layer", "trainable"}, {"Scaling alpha", "3"}},
    {{"Dimension d", "12"}, {"Data model", "anisotropic"}, {"Signal block size s0", "3"}},
    {{"Dimension d", "12"}, {"Activation", "tanh"}, {"Kernel", "large d"}},
    {{"Dimension d", "3"}, {"Second layer", "trainable"}}};
  for (const auto &setting : settings)
    {
      const auto         problem = reference::make_problem(setting);
      const unsigned int N = 37, d = problem.d;
      // the same network on every rank
      boost::random::mt19937                     engine(3);
      boost::random::normal_distribution<double> normal;
      std::vector<double>                        w(N * d), a(N);
      for (double &x : w)
        x = 1.3 * normal(engine) / std::sqrt(d);
      for (double &x : a)
        x = normal(engine);
      // nearly parallel and exactly duplicated neurons: |rho| near and at 1
      for (unsigned int k = 0; k < d; ++k)
        {
          w[1 * d + k] = w[0 * d + k];
          w[2 * d + k] = -0.7 * w[0 * d + k] + 1e-3 * w[5 * d + k];
          w[3 * d + k] = 1.1 * w[4 * d + k] + 0.05 * w[6 * d + k];
        }
      const Direct direct = direct_risk(problem, w, a);

      const kernels::NetworkRisk network_risk(problem);
      // all neurons on one process
      const auto self = network_risk(w.data(), a.data(), N, MPI_COMM_SELF);
      // uneven split: rank 0 holds the first 10 neurons, the last rank the rest
      const unsigned int first   = rank == 0 ? 0 : 10;
      const unsigned int n_local = size == 1 ? N : (rank == 0 ? 10 : (rank == size - 1 ? N - 10 : 0));
      const auto split = network_risk(&w[first * d], &a[first], n_local, MPI_COMM_WORLD);
      // only rank 0 holds all
      const auto gathered = network_risk(w.data(), a.data(), rank == 0 ? N : 0, MPI_COMM_WORLD);

      for (const auto &result : {self, split, gathered})
        {
          EXPECT_NEAR(result.risk, direct.risk, 1e-12 * direct.risk) << problem.summary();
          EXPECT_NEAR(result.self_interaction, direct.self_interaction, 1e-12 * std::abs(direct.risk))
            << problem.summary();
        }
      EXPECT_NEAR(split.risk, self.risk, 1e-14 * self.risk);
      // identical on all ranks
      double min_risk, max_risk;
      MPI_Allreduce(&split.risk, &min_risk, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
      MPI_Allreduce(&split.risk, &max_risk, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      EXPECT_EQ(min_risk, max_risk);
    }
}
