// Benchmark: exact risk R_N of a width-N network in dimension d (default N = 1000,
// d = 40, truncated ReLU, exact kernel) with kernels::NetworkRisk, against a
// baseline measured in the same run: the same pair sum with the closed-form
// pair expectation (bivariate normal CDF) for every pair. Monte Carlo is no
// baseline: 1e-8 relative accuracy would need ~1e16 samples.
// Usage: network_risk [N] [d]
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/model/problem.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mfdd;

int
main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  const unsigned int N = argc > 1 ? std::atoi(argv[1]) : 1000, d = argc > 2 ? std::atoi(argv[2]) : 40;

  dealii::ParameterHandler prm;
  model::Problem::declare_parameters(prm);
  prm.enter_subsection("Problem");
  prm.set("Dimension d", std::to_string(d));
  prm.leave_subsection();
  model::Problem problem;
  problem.parse_parameters(prm);

  boost::random::mt19937                     engine(1);
  boost::random::normal_distribution<double> normal;
  std::vector<double>                        w(N * d), a(N, 1.);
  for (double &x : w)
    x = problem.initial_law.kappa * normal(engine) / std::sqrt(double(d));

  using clock = std::chrono::steady_clock;
  const kernels::NetworkRisk network_risk(problem);
  auto                       start  = clock::now();
  const auto                 result = network_risk(w.data(), a.data(), N);
  const double               t_fast = std::chrono::duration<double>(clock::now() - start).count();

  // baseline: closed-form pair expectation for every pair, same diagonal
  const auto expectations = kernels::GaussianExpectations::create(*problem.activation);
  const auto &block       = problem.data.blocks()[0];
  start                   = clock::now();
  double linear = 0., quadratic = 0.;
  for (unsigned int i = 0; i < N; ++i)
    {
      double r2 = 0.;
      for (unsigned int k = 0; k < d; ++k)
        r2 += w[i * d + k] * w[i * d + k];
      for (const bool plus : {true, false})
        {
          const double s2 = std::pow(block.std_for(plus), 2), si = std::sqrt(s2 * r2);
          linear += (plus ? -0.5 : 0.5) * expectations->q(si);
          quadratic += 0.5 * expectations->second_moment(si);
          for (unsigned int j = i + 1; j < N; ++j)
            {
              double rj2 = 0., dot = 0.;
              for (unsigned int k = 0; k < d; ++k)
                {
                  rj2 += w[j * d + k] * w[j * d + k];
                  dot += w[i * d + k] * w[j * d + k];
                }
              quadratic += 2. * 0.5 * expectations->pair(si, std::sqrt(s2 * rj2), s2 * dot);
            }
        }
    }
  const double baseline = 1. + 2. * linear / N + quadratic / (double(N) * N);
  const double t_base   = std::chrono::duration<double>(clock::now() - start).count();

  const double pairs = 0.5 * N * (N - 1.);
  std::printf("N = %u, d = %u, truncated ReLU, exact kernel (isotropic, Delta = 0.5)\n", N, d);
  std::printf("NetworkRisk:          R_N = %.15f  (self-interaction %.3e)  %.4f s  %.3e pairs/s\n", result.risk,
              result.self_interaction, t_fast, pairs / t_fast);
  std::printf("baseline closed form: R_N = %.15f  %.4f s  %.3e pairs/s\n", baseline, t_base, pairs / t_base);
  std::printf("relative difference %.2e, speed-up %.1f\n", std::abs(result.risk - baseline) / baseline, t_base / t_fast);
  MPI_Finalize();
  return 0;
}
