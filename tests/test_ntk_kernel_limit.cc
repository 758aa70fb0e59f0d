// The kernel-limit operator H_{rho_0} on radial functions and u*_t = exp(-2 H Lambda(t)) u_0
// (ntk/kernel_limit.h; mfdd time, doc/theory.md §6).
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/ntk/kernel_limit.h>

#include <deal.II/lac/lapack_full_matrix.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <gtest/gtest.h>

#include <cmath>

#include "test_ntk_problem.h"

using namespace mfdd;

namespace
{
  const std::vector<std::vector<std::pair<std::string, std::string>>> settings = {
    {},                                                              // running example, d = 40
    {{"Dimension d", "1"}},                                          // c = +-1
    {{"Dimension d", "2"}, {"Initial a law", "bump"}},               // arcsine law of c
    {{"Dimension d", "7"}, {"Activation", "relu"}, {"Initial kappa", "1.3"}},
    {{"Dimension d", "20"}, {"Delta", "0.3"}, {"Initial kappa", "1.1"}},
    {{"Dimension d", "10"}, {"Initial a law", "constant"}, {"Initial a lower", "0"}, {"Initial a upper", "0"}},
  };

  std::string
  describe(const std::vector<std::pair<std::string, std::string>> &setting)
  {
    std::string text = "setting:";
    for (const auto &[key, value] : setting)
      text += " " + key + "=" + value;
    return text;
  }
} // namespace

// The discretised operator is symmetric positive semi-definite (H is a Gram
// kernel); eigenvalues below zero may only be round-off of the largest one.
TEST(KernelLimit, OperatorIsSymmetricPositiveSemiDefinite)
{
  for (const auto &setting : settings)
    {
      SCOPED_TRACE(describe(setting));
      const auto              problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimit  limit(problem, {3, 6, 24});
      const auto             &law = limit.radial_law();
      // H-bar itself is symmetric (not just the assembled matrix).
      for (const unsigned int k : {0u, 7u, 20u, 40u})
        for (const unsigned int l : {3u, 30u, 55u})
          EXPECT_NEAR(limit.radial_kernel(law.nodes()[k], law.nodes()[l]),
                      limit.radial_kernel(law.nodes()[l], law.nodes()[k]),
                      1e-12 * (1. + std::abs(limit.radial_kernel(law.nodes()[k], law.nodes()[l]))));
      const auto  &lambda = limit.eigenvalues();
      const double top    = lambda[lambda.size() - 1];
      EXPECT_GT(top, 0.);
      EXPECT_GE(lambda[0], -1e-12 * top);
    }
}

// |u*_t| is non-increasing, the risk starts at R(rho_0) = E[y^2] = 1 (the
// predictor vanishes when E[a] = 0) and never drops below E[Var(y|x)].
TEST(KernelLimit, ResidualNormIsNonIncreasing)
{
  for (const auto &setting : settings)
    {
      SCOPED_TRACE(describe(setting));
      const auto             problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimit limit(problem, {3, 6, 24});
      EXPECT_NEAR(limit.risk(0.), 1., 1e-12);
      double previous = limit.residual_norm(0.);
      for (unsigned int i = 1; i <= 200; ++i)
        {
          const double norm = limit.residual_norm(0.01 * i);
          EXPECT_LE(norm, previous * (1. + 1e-14));
          previous = norm;
        }
      EXPECT_GE(limit.risk(2.), limit.radial_law().conditional_variance());
      // The vector and the norm agree.
      EXPECT_NEAR(limit.residual(0.7).norm_sqr() + limit.projection_remainder(), std::pow(limit.residual_norm(0.7), 2),
                  1e-13);
    }
}

// Doubling the radial nodes (Gauss points per interval of s, and with them the
// quadrature in the neuron radius) changes the risk curve by less than 1e-8,
// for every dimension: the Galerkin operator is integrated to round-off
// across the kinks of the truncated ReLU (KernelLimit), so what remains is the
// spectrally small error of piecewise polynomials on the smooth residual
// (measured: below 5e-11 for d = 1, 2, 3, 10, 40, Delta = 0.5, 0.9, truncated
// ReLU and ReLU).
TEST(KernelLimit, RadialQuadratureHasConverged)
{
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
    {{"Dimension d", "1"}},
    {{"Dimension d", "1"}, {"Delta", "0.9"}},
    {{"Dimension d", "2"}},
    {{"Dimension d", "2"}, {"Delta", "0.9"}, {"Initial a law", "bump"}},
    {{"Dimension d", "2"}, {"Activation", "relu"}},
    {{"Dimension d", "3"}},
    {{"Dimension d", "10"}, {"Delta", "0.3"}, {"Initial kappa", "1.1"}},
  };
  for (const auto &setting : cases)
    {
      SCOPED_TRACE(describe(setting));
      const auto                           problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimitDiscretisation coarse{8, 8, 0}, fine{8, 16, 0};
      const ntk::KernelLimit               limit(problem, coarse), refined(problem, fine);
      double                               largest = 0.;
      for (unsigned int i = 0; i <= 40; ++i)
        largest = std::max(largest, std::abs(limit.risk(0.05 * i) - refined.risk(0.05 * i)));
      EXPECT_LT(largest, 1e-8);
      EXPECT_LT(limit.projection_remainder(), 1e-12);
    }
}

// Where H-bar is smooth in s (d >= 3 and ReLU, here d = 10 and 40), the plain
// Nystrom discretisation A_kl = sqrt(w_k) H-bar(s_k, s_l) sqrt(w_l) on the law's
// nodes, with H-bar from the c-average of the pair expectations (an
// independent route: the kernels library's bivariate Gaussian expectations
// instead of DirectionAverage and the Gram form over r), converges
// geometrically; both risk curves must agree.
TEST(KernelLimit, GalerkinAgreesWithNystromWhereTheKernelIsSmooth)
{
  for (const auto &setting : {settings[0], std::vector<std::pair<std::string, std::string>>{{"Dimension d", "10"}}})
    {
      SCOPED_TRACE(describe(setting));
      const auto             problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimit limit(problem, {8, 8, 0});
      const ntk::RadialLaw   law(problem.data, 8, 10);
      const unsigned int     n = law.size();
      dealii::LAPACKFullMatrix<double> A(n, n);
      for (unsigned int k = 0; k < n; ++k)
        for (unsigned int l = 0; l <= k; ++l)
          A(k, l) = A(l, k) = std::sqrt(law.weights()[k] * law.weights()[l]) *
                              limit.radial_kernel(law.nodes()[k], law.nodes()[l]);
      A.set_property(dealii::LAPACKSupport::symmetric);
      dealii::Vector<double>     lambda;
      dealii::FullMatrix<double> vectors;
      A.compute_eigenvalues_symmetric(-1e300, 1e300, 0., lambda, vectors);
      dealii::Vector<double> u0(n), c0(n);
      for (unsigned int k = 0; k < n; ++k)
        u0[k] = std::sqrt(law.weights()[k]) * law.regression_values()[k];
      vectors.Tvmult(c0, u0);
      for (const double t : {0.1, 0.5, 1., 2.})
        {
          double norm = 0.;
          for (unsigned int i = 0; i < n; ++i)
            norm += std::pow(c0[i] * std::exp(-2. * lambda[i] * t), 2);
          EXPECT_NEAR(limit.risk(t), law.conditional_variance() + norm, 1e-9) << "t = " << t;
        }
    }
}

// H(x, x') against a Monte Carlo average of <grad sigma_*(x; a, w), grad sigma_*(x'; a, w)>
// over a ~ initial law, w ~ N(0, kappa^2/d I), for explicit x, x' with given
// norms and cosine; tolerance 4 standard errors.
TEST(KernelLimit, KernelMatchesMonteCarlo)
{
  for (const auto &setting : {settings[0], settings[3],
                              std::vector<std::pair<std::string, std::string>>{{"Dimension d", "3"}, {"Activation", "tanh"}}})
    {
      SCOPED_TRACE(describe(setting));
      const auto              problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimit  limit(problem, {1, 1, 4});
      const unsigned int      d     = problem.d;
      const auto             &sigma = *problem.activation;
      boost::random::mt19937_64                  engine(11);
      boost::random::normal_distribution<double> normal;
      boost::random::uniform_01<double>          uniform;
      const double                               scale = problem.initial_law.kappa / std::sqrt(double(d));
      for (const auto [s, sp, c] : {std::array<double, 3>{{6.3, 7.1, 0.2}}, {{3.0, 9.5, -0.6}}, {{5.0, 5.0, 0.95}}})
        {
          // x = s e_1, x' = s' (c e_1 + sqrt(1 - c^2) e_2)
          double       sum = 0., sum_squares = 0.;
          const double n   = 200000;
          for (unsigned int i = 0; i < n; ++i)
            {
              const double a  = problem.initial_law.a_lower +
                               (problem.initial_law.a_upper - problem.initial_law.a_lower) * uniform(engine);
              const double w1 = scale * normal(engine), w2 = scale * normal(engine);
              const double h = s * w1, hp = sp * (c * w1 + std::sqrt(1. - c * c) * w2);
              const double value = sigma.value(h) * sigma.value(hp) +
                                   a * a * sigma.derivative(h) * sigma.derivative(hp) * s * sp * c;
              sum += value;
              sum_squares += value * value;
            }
          const double mean = sum / n, error = std::sqrt((sum_squares / n - mean * mean) / n);
          EXPECT_NEAR(limit.kernel(s, sp, c), mean, 4. * error) << "s = " << s << ", s' = " << sp << ", c = " << c;
        }
    }
}

// The angular average H-bar(s, s') against Monte Carlo over independent
// uniform directions of x and x' (and over the neurons), in d = 5.
TEST(KernelLimit, RadialKernelMatchesMonteCarloOverDirections)
{
  const auto                                 problem = ntk::testing::make_problem({{"Dimension d", "5"}});
  const ntk::KernelLimit                     limit(problem, {1, 2, 64});
  const auto                                &sigma = *problem.activation;
  boost::random::mt19937_64                  engine(5);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_01<double>          uniform;
  const double                               scale = problem.initial_law.kappa / std::sqrt(5.);
  for (const auto [s, sp] : {std::array<double, 2>{{2.0, 3.5}}, {{4.0, 4.0}}})
    {
      double       sum = 0., sum_squares = 0.;
      const double n   = 400000;
      for (unsigned int i = 0; i < n; ++i)
        {
          double x[5], xp[5], w[5], nx = 0., nxp = 0.;
          for (unsigned int k = 0; k < 5; ++k)
            {
              x[k]  = normal(engine);
              xp[k] = normal(engine);
              w[k]  = scale * normal(engine);
              nx += x[k] * x[k];
              nxp += xp[k] * xp[k];
            }
          double h = 0., hp = 0., dot = 0.;
          for (unsigned int k = 0; k < 5; ++k)
            {
              x[k] *= s / std::sqrt(nx);
              xp[k] *= sp / std::sqrt(nxp);
              h += w[k] * x[k];
              hp += w[k] * xp[k];
              dot += x[k] * xp[k];
            }
          const double a     = 2. * uniform(engine) - 1.;
          const double value = sigma.value(h) * sigma.value(hp) + a * a * sigma.derivative(h) * sigma.derivative(hp) * dot;
          sum += value;
          sum_squares += value * value;
        }
      const double mean = sum / n, error = std::sqrt((sum_squares / n - mean * mean) / n);
      EXPECT_NEAR(limit.radial_kernel(s, sp), mean, 4. * error) << "s = " << s << ", s' = " << sp;
    }
}

// The time convention and the link to the kernels library: at t = 0 the
// kernel dynamics and every alpha-scaled (DD) lose risk at the same rate,
//   d/dt |u*_t|^2 = -4 xi(0) <u_0, H u_0> = -4 xi(0) int |grad V|^2 d rho_0
// (since E_x[f grad sigma_*] = E[y grad sigma_*] = -grad V and Psi_alpha = V at
// t = 0 when E[a] = 0), with V(a, r) = a v-bar(r) from kernels::PopulationKernels.
TEST(KernelLimit, InitialRiskSlopeMatchesPopulationKernels)
{
  for (const auto &setting : {settings[0], settings[2], settings[3]})
    {
      SCOPED_TRACE(describe(setting));
      auto problem = ntk::testing::make_problem(setting);
      const ntk::KernelLimit           limit(problem, {3, 8, 32});
      const kernels::PopulationKernels population(problem);
      const auto initial = model::initial_law_quadrature(problem.reduced_setting(), 80);
      double     gradient_norm = 0.;
      for (unsigned int q = 0; q < initial.weights.size(); ++q)
        {
          double grad[2];
          population.V_and_gradient(&initial.points[2 * q], grad);
          gradient_norm += initial.weights[q] * (grad[0] * grad[0] + grad[1] * grad[1]);
        }
      const double h     = 1e-5;
      const double slope = (std::pow(limit.residual_norm(h), 2) - std::pow(limit.residual_norm(0.), 2)) / h;
      // forward difference: error O(h * second derivative); relative 1e-3 is ample.
      EXPECT_NEAR(slope, -4. * problem.xi(0.) * gradient_norm, 1e-3 * 4. * gradient_norm);
    }
}

// A schedule xi(t) enters only through Lambda(t) = int_0^t xi.
TEST(KernelLimit, ScheduleEntersThroughItsIntegral)
{
  const auto             constant = ntk::testing::make_problem({{"Dimension d", "10"}});
  const auto             decaying = ntk::testing::make_problem({{"Dimension d", "10"}, {"Step size schedule xi", "1/(1+t)"}});
  const ntk::KernelLimit a(constant, {2, 4, 16}), b(decaying, {2, 4, 16});
  EXPECT_NEAR(b.integrated_step_size(1.5), std::log(2.5), 1e-12);
  // Lambda_b(t) = log(1 + t) = Lambda_a(log(1 + t))
  for (const double t : {0.3, 1., 2.})
    EXPECT_NEAR(b.risk(t), a.risk(std::log(1. + t)), 1e-12);
}
