// Kernels against Monte Carlo in full dimension: 10^6 samples (x, y) from
// model::DataModel::sample (Boost mt19937), compared within 4 standard errors
// computed from the same samples. The pair kernel is evaluated at the actual
// cosines of two vectors (not angle-averaged), and R_N of random networks
// through kernels::NetworkRisk.
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
  constexpr unsigned int n_samples = 1000000;

  struct MeanAndError
  {
    double mean, standard_error;
  };

  /// Mean and standard error of f(x, y) over n_samples draws.
  template <class F>
  MeanAndError
  monte_carlo(const model::Problem &problem, unsigned int seed, const F &f)
  {
    boost::random::mt19937 engine(seed);
    std::vector<double>    x(problem.d);
    double                 sum = 0., sum_squares = 0.;
    for (unsigned int n = 0; n < n_samples; ++n)
      {
        const double y     = problem.data.sample(engine, x.data());
        const double value = f(x, y);
        sum += value;
        sum_squares += value * value;
      }
    const double mean = sum / n_samples;
    return {mean, std::sqrt((sum_squares / n_samples - mean * mean) / (n_samples - 1.))};
  }

  double
  dot(const double *u, const double *v, unsigned int n)
  {
    double s = 0.;
    for (unsigned int i = 0; i < n; ++i)
      s += u[i] * v[i];
    return s;
  }

  std::vector<double>
  random_weights(unsigned int n, double scale, boost::random::mt19937 &engine)
  {
    boost::random::normal_distribution<double> normal;
    std::vector<double>                        w(n);
    for (double &x : w)
      x = scale * normal(engine);
    return w;
  }

  const std::vector<std::vector<std::pair<std::string, std::string>>> settings = {
    {{"Dimension d", "10"}},
    {{"Dimension d", "10"}, {"Activation", "relu"}},
    {{"Dimension d", "10"}, {"Second layer", "trainable"}},
    {{"Dimension d", "10"}, {"Data model", "anisotropic"}, {"Signal block size s0", "4"}, {"Second block Delta", "0.3"}}};
} // namespace

TEST(MonteCarlo, PairKernelAtActualCosines)
{
  boost::random::mt19937 engine(17);
  unsigned int           seed = 100;
  for (const auto &setting : settings)
    {
      const auto problem      = reference::make_problem(setting);
      const auto expectations = kernels::GaussianExpectations::create(*problem.activation);
      const kernels::PopulationKernels kernels(problem);
      const auto                      &setting_r = problem.reduced_setting();
      const unsigned int               d         = problem.d;
      // w' correlated with w (cosine about 0.6), radii about 1.2
      const auto w     = random_weights(d, 1.2 / std::sqrt(d), engine);
      auto       wp    = random_weights(d, 0.9 / std::sqrt(d), engine);
      for (unsigned int k = 0; k < d; ++k)
        wp[k] += 0.8 * w[k];

      // exact: per class, covariances from the blocks
      double u = 0.;
      for (const bool plus : {true, false})
        {
          double var = 0., varp = 0., cov = 0.;
          for (unsigned int b = 0, k = 0; b < problem.data.blocks().size(); ++b)
            {
              const auto  &block = problem.data.blocks()[b];
              const double s2    = std::pow(block.std_for(plus), 2);
              var += s2 * dot(&w[k], &w[k], block.size);
              varp += s2 * dot(&wp[k], &wp[k], block.size);
              cov += s2 * dot(&w[k], &wp[k], block.size);
              k += block.size;
            }
          u += 0.5 * expectations->pair(std::sqrt(var), std::sqrt(varp), cov);
        }
      std::vector<double> z(setting_r.dimension());
      setting_r.reduce(1., w.data(), z.data());
      const double v = kernels.V(z.data());

      const auto &sigma = *problem.activation;
      const auto  u_mc  = monte_carlo(problem, ++seed, [&](const std::vector<double> &x, double) {
        return sigma.value(dot(w.data(), x.data(), d)) * sigma.value(dot(wp.data(), x.data(), d));
      });
      const auto  v_mc  = monte_carlo(problem, ++seed, [&](const std::vector<double> &x, double y) {
        return -y * sigma.value(dot(w.data(), x.data(), d));
      });
      EXPECT_NEAR(u, u_mc.mean, 4. * u_mc.standard_error) << problem.summary();
      EXPECT_NEAR(v, v_mc.mean, 4. * v_mc.standard_error) << problem.summary();
      // the test must be able to fail: standard errors are small against the values
      EXPECT_LT(u_mc.standard_error, 0.01 * std::abs(u) + 1e-3);
    }
}

TEST(MonteCarlo, NetworkRiskOfRandomNetworks)
{
  boost::random::mt19937 engine(23);
  unsigned int           seed = 200;
  for (const auto &setting : settings)
    {
      const auto         problem = reference::make_problem(setting);
      const unsigned int N = 20, d = problem.d;
      const auto         w = random_weights(N * d, 1.1 / std::sqrt(d), engine);
      const auto         a = random_weights(N, 1., engine);
      const kernels::NetworkRisk network_risk(problem);
      const auto                 result = network_risk(w.data(), a.data(), N);

      const auto &sigma = *problem.activation;
      const auto  r_mc  = monte_carlo(problem, ++seed, [&](const std::vector<double> &x, double y) {
        double f = 0.;
        for (unsigned int i = 0; i < N; ++i)
          f += (problem.trainable_second_layer ? a[i] : 1.) * sigma.value(dot(&w[i * d], x.data(), d));
        f *= problem.alpha / N;
        return (y - f) * (y - f);
      });
      EXPECT_NEAR(result.risk, r_mc.mean, 4. * r_mc.standard_error) << problem.summary();
      EXPECT_LT(r_mc.standard_error, 0.01 * result.risk);
    }
}
