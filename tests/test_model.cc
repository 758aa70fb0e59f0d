// The model library: activations, data sampling, reduced coordinates and the
// initial law of doc/theory.md §1 and §4.
#include "make_problem.h"
#include <mfdd/io/input_error.h>
#include <mfdd/model/problem.h>

#include <boost/random/mersenne_twister.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace mfdd;

namespace
{
  using test_support::make_problem;
} // namespace

TEST(Activation, TruncatedReLUValuesAndDerivative)
{
  const model::TruncatedReLU sigma(-2.5, 7.5, 0.5, 1.5);
  EXPECT_DOUBLE_EQ(sigma.value(0.), -2.5);
  EXPECT_DOUBLE_EQ(sigma.value(1.), 2.5);
  EXPECT_DOUBLE_EQ(sigma.value(3.), 7.5);
  EXPECT_DOUBLE_EQ(sigma.derivative(1.), 10.);
  EXPECT_DOUBLE_EQ(sigma.derivative(0.2), 0.);
  EXPECT_DOUBLE_EQ(sigma.derivative(2.), 0.);
}

TEST(Activation, DerivativesMatchFiniteDifferences)
{
  const model::Tanh            tanh_sigma;
  const model::ReLU            relu;
  const model::TruncatedReLU   truncated(-1., 2., -0.3, 0.7);
  const model::Activation     *all[] = {&tanh_sigma, &relu, &truncated};
  const double                 h     = 1e-6;
  for (const auto *sigma : all)
    for (const double t : {-1.3, -0.1, 0.2, 0.45, 1.1, 2.7})
      {
        EXPECT_NEAR(sigma->derivative(t), (sigma->value(t + h) - sigma->value(t - h)) / (2 * h), 1e-7)
          << sigma->name() << " at " << t;
        EXPECT_NEAR(sigma->second_derivative(t), (sigma->derivative(t + h) - sigma->derivative(t - h)) / (2 * h),
                    1e-6)
          << sigma->name() << " at " << t;
      }
}

TEST(DataModel, SampleMomentsMatchTheClassVariances)
{
  const auto problem = make_problem({{"Data model", "anisotropic"},
                                     {"Dimension d", "5"},
                                     {"Signal block size s0", "2"},
                                     {"Delta", "0.5"},
                                     {"Second block Delta", "0.25"}});
  boost::random::mt19937_64 engine(42);
  const unsigned int        n = 200000;
  std::vector<double>       x(5), second_moment(5, 0.);
  double                    y_mean = 0., xy = 0.;
  for (unsigned int k = 0; k < n; ++k)
    {
      const double y = problem.data.sample(engine, x.data());
      y_mean += y / n;
      for (unsigned int i = 0; i < 5; ++i)
        second_moment[i] += x[i] * x[i] / n;
      xy += y * x[0] * x[0] / n;
    }
  EXPECT_NEAR(y_mean, 0., 5. / std::sqrt(n));
  // E x_i^2 = (std_+^2 + std_-^2)/2: block 1 (1.5^2 + 0.5^2)/2 = 1.25, block 2 (1.25^2 + 0.75^2)/2 = 1.0625
  for (unsigned int i = 0; i < 5; ++i)
    EXPECT_NEAR(second_moment[i], i < 2 ? 1.25 : 1.0625, 0.02);
  // E[y x_0^2] = (2.25 - 0.25)/2 = 1
  EXPECT_NEAR(xy, 1., 0.03);
}

TEST(ReducedSetting, ReduceGivesBlockRadii)
{
  const auto problem = make_problem({{"Data model", "anisotropic"}, {"Dimension d", "4"}, {"Signal block size s0", "1"}});
  const std::vector<double> w = {-3., 1., 2., 2.};
  double                    z[2];
  problem.reduced_setting().reduce(1., w.data(), z);
  EXPECT_DOUBLE_EQ(z[0], 3.);
  EXPECT_DOUBLE_EQ(z[1], 3.);

  const auto trainable = make_problem({{"Second layer", "trainable"}, {"Dimension d", "2"}});
  double     za[2];
  trainable.reduced_setting().reduce(-0.5, w.data(), za);
  EXPECT_DOUBLE_EQ(za[0], -0.5);
  EXPECT_DOUBLE_EQ(za[1], std::sqrt(10.));
}

TEST(ReducedSetting, InitialLawHasMassOneAndTheRightMoments)
{
  for (const unsigned int d : {1u, 2u, 3u, 40u, 400u})
    {
      const auto problem = make_problem({{"Dimension d", std::to_string(d)}, {"Initial kappa", "0.8"}});
      const auto law     = model::initial_law_quadrature(problem.reduced_setting(), 200);
      double     mass = 0., second = 0.;
      for (unsigned int q = 0; q < law.weights.size(); ++q)
        {
          mass += law.weights[q];
          second += law.weights[q] * law.points[q] * law.points[q];
        }
      EXPECT_NEAR(mass, 1., 1e-12) << "d = " << d;
      // E r^2 = kappa^2 for w ~ N(0, kappa^2/d I_d)
      EXPECT_NEAR(second, 0.64, 1e-12) << "d = " << d;
    }
  const auto two = make_problem({{"Data model", "anisotropic"}, {"Dimension d", "10"}, {"Signal block size s0", "3"}});
  const auto law = model::initial_law_quadrature(two.reduced_setting(), 80);
  double     mass = 0., r1sq = 0., r2sq = 0.;
  for (unsigned int q = 0; q < law.weights.size(); ++q)
    {
      mass += law.weights[q];
      r1sq += law.weights[q] * std::pow(law.points[2 * q], 2);
      r2sq += law.weights[q] * std::pow(law.points[2 * q + 1], 2);
    }
  EXPECT_NEAR(mass, 1., 1e-12);
  EXPECT_NEAR(r1sq, 0.64 * 3. / 10., 1e-12);
  EXPECT_NEAR(r2sq, 0.64 * 7. / 10., 1e-12);
}

TEST(ReducedSetting, AmplitudeLawsAreNormalised)
{
  for (const std::string law_name : {"uniform", "bump"})
    {
      const auto problem = make_problem({{"Second layer", "trainable"},
                                         {"Initial a law", law_name},
                                         {"Initial a lower", "-0.5"},
                                         {"Initial a upper", "1.5"}});
      const auto law     = model::initial_law_quadrature(problem.reduced_setting(), 60);
      double     mass = 0., mean_a = 0.;
      for (unsigned int q = 0; q < law.weights.size(); ++q)
        {
          mass += law.weights[q];
          mean_a += law.weights[q] * law.points[2 * q];
        }
      EXPECT_NEAR(mass, 1., 1e-12) << law_name;
      EXPECT_NEAR(mean_a, problem.initial_law.amplitude_mean(), 1e-12) << law_name;
    }
}

TEST(Problem, RejectsImpossibleValuesWithTheParameterName)
{
  try
    {
      make_problem({{"Data model", "anisotropic"}, {"Dimension d", "5"}, {"Signal block size s0", "5"}});
      FAIL() << "s0 = d was accepted";
    }
  catch (const io::InputError &e)
    {
      EXPECT_NE(std::string(e.what()).find("Signal block size s0"), std::string::npos);
    }
  EXPECT_THROW(make_problem({{"Truncated ReLU/t1", "3"}}), std::exception);
  EXPECT_THROW(make_problem({{"Step size schedule xi", "sin(t"}}), io::InputError);
}

TEST(Problem, StepSizeScheduleIsAnExpressionInT)
{
  const auto problem = make_problem({{"Step size schedule xi", "1/(1+t)"}});
  EXPECT_DOUBLE_EQ(problem.xi(0.), 1.);
  EXPECT_DOUBLE_EQ(problem.xi(1.), 0.5);
}
