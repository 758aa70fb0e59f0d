// The law of s = |x| and the regression function f(s) = E[y | x] (ntk/radial_law.h).
#include <mfdd/ntk/radial_law.h>

#include <boost/random/mersenne_twister.hpp>

#include <gtest/gtest.h>

#include <cmath>

#include "test_ntk_problem.h"

using namespace mfdd;

namespace
{
  double
  expectation(const ntk::RadialLaw &law, double (*g)(double, const ntk::RadialLaw &))
  {
    double sum = 0.;
    for (unsigned int k = 0; k < law.size(); ++k)
      sum += law.weights()[k] * g(law.nodes()[k], law);
    return sum;
  }
} // namespace

// Mass, second moment E[s^2] = d (tau_+^2 + tau_-^2)/2 and, through the
// Gaussian identity E[exp(-beta s^2/2)] = (1 + beta tau^2)^{-d/2} for s ~ tau chi_d,
//   E[f(s) g(s)] = E[y g(s)] = (1/2) [(1 + beta tau_+^2)^{-d/2} - (1 + beta tau_-^2)^{-d/2}],
// which checks the nodes, the weights and f at once. The quadrature is
// spectrally accurate, so the tolerances are round-off level.
TEST(RadialLaw, MomentsAndRegressionFunctionAreExact)
{
  for (const unsigned int d : {1u, 2u, 5u, 40u, 200u})
    for (const double delta : {0.1, 0.5, 0.9})
      {
        const auto problem =
          ntk::testing::make_problem({{"Dimension d", std::to_string(d)}, {"Delta", std::to_string(delta)}});
        const ntk::RadialLaw law(problem.data, 8, 12);
        const double         tp = 1. + delta, tm = 1. - delta;
        SCOPED_TRACE("d = " + std::to_string(d) + ", Delta = " + std::to_string(delta));
        EXPECT_NEAR(expectation(law, [](double, const ntk::RadialLaw &) { return 1.; }), 1., 1e-13);
        EXPECT_NEAR(expectation(law, [](double s, const ntk::RadialLaw &) { return s * s; }),
                    0.5 * d * (tp * tp + tm * tm), 1e-12 * d);
        // E[f] = E[y] = 0
        EXPECT_NEAR(expectation(law, [](double s, const ntk::RadialLaw &l) { return l.regression_function(s); }),
                    0., 1e-13);
        const double beta = 1. / d;
        const double exact =
          0.5 * (std::pow(1. + beta * tp * tp, -0.5 * d) - std::pow(1. + beta * tm * tm, -0.5 * d));
        double sum = 0.;
        for (unsigned int k = 0; k < law.size(); ++k)
          sum += law.weights()[k] * law.regression_values()[k] * std::exp(-0.5 * beta * std::pow(law.nodes()[k], 2));
        EXPECT_NEAR(sum, exact, 1e-13);
        // 0 <= E[Var(y|x)] <= 1, and f stays in [-1, 1]
        EXPECT_GE(law.conditional_variance(), 0.);
        EXPECT_LE(law.conditional_variance(), 1.);
      }
}

// f = E[y | s] against its definition: averages of y over samples in a shell of s.
TEST(RadialLaw, RegressionFunctionMatchesConditionalMeanOfSamples)
{
  const auto                problem = ntk::testing::make_problem({{"Dimension d", "10"}});
  const ntk::RadialLaw      law(problem.data, 4, 8);
  boost::random::mt19937_64 engine(7);
  std::vector<double>       x(10);
  // shells [s0 - 0.05, s0 + 0.05]; with ~n samples per shell the standard error is <= 1/sqrt(n)
  const double centres[] = {1.5, 2.5, 3.5, 4.5};
  double       sum_y[4] = {}, count[4] = {}, sum_f[4] = {};
  for (unsigned int i = 0; i < 400000; ++i)
    {
      const double y  = problem.data.sample(engine, x.data());
      double       s2 = 0.;
      for (const double xi : x)
        s2 += xi * xi;
      const double s = std::sqrt(s2);
      for (unsigned int k = 0; k < 4; ++k)
        if (std::abs(s - centres[k]) < 0.05)
          {
            sum_y[k] += y;
            sum_f[k] += law.regression_function(s);
            count[k] += 1;
          }
    }
  for (unsigned int k = 0; k < 4; ++k)
    {
      ASSERT_GT(count[k], 1000.);
      EXPECT_NEAR(sum_y[k] / count[k], sum_f[k] / count[k], 4. / std::sqrt(count[k])) << "shell " << centres[k];
    }
}
