// The finite-N tangent model trained by alpha-scaled SGD (ntk/tangent_model.h),
// and the kernel limit against it (issue 6, "second, independent route").
#include <mfdd/compare/statistics.h>
#include <mfdd/ntk/kernel_limit.h>
#include <mfdd/ntk/tangent_model.h>

#include <gtest/gtest.h>

#include <cmath>

#include "test_ntk_problem.h"

using namespace mfdd;

// The symmetrised initialisation makes f_lin vanish identically at the start,
// and one SGD step from there gives f_lin(x') = 2 s y H_N(x', x) with the
// empirical tangent kernel H_N(x', x) = (1/N) sum_j <g_j(x'), g_j(x)>,
// g_j = (sigma(<w_j,.>), a_j sigma'(<w_j,.>) .), computed here by hand.
TEST(TangentModel, SymmetricStartAndOneStepByHand)
{
  const auto        problem = ntk::testing::make_problem({{"Dimension d", "6"}});
  ntk::TangentModel model(problem, 50, 3);
  const auto       &a = model.initial_amplitudes();
  const auto       &w = model.initial_weights();
  for (unsigned int i = 0; i < 50; i += 2)
    {
      EXPECT_EQ(a[i], -a[i + 1]);
      for (unsigned int k = 0; k < 6; ++k)
        EXPECT_EQ(w[6 * i + k], w[6 * (i + 1) + k]);
    }
  const double x[6] = {0.3, -1.2, 0.8, 2.1, -0.4, 1.0}, xp[6] = {1.1, 0.2, -0.7, 1.5, 0.9, -0.3};
  EXPECT_EQ(model.predict(x), 0.);
  const double s = 0.01, y = -1.;
  model.step(x, y, s);

  const auto &sigma = *problem.activation;
  double      kernel = 0., dot = 0.;
  for (unsigned int k = 0; k < 6; ++k)
    dot += x[k] * xp[k];
  for (unsigned int j = 0; j < 50; ++j)
    {
      double h = 0., hp = 0.;
      for (unsigned int k = 0; k < 6; ++k)
        {
          h += w[6 * j + k] * x[k];
          hp += w[6 * j + k] * xp[k];
        }
      kernel += sigma.value(h) * sigma.value(hp) + a[j] * a[j] * sigma.derivative(h) * sigma.derivative(hp) * dot;
    }
  kernel /= 50.;
  EXPECT_NEAR(model.predict(xp), 2. * s * y * kernel, 1e-13 * (1. + std::abs(kernel)));
}

// The kernel-limit risk curve against the tangent model trained by SGD
// (N = 1000, epsilon = 1e-4, 6 seeds, 2000 test points each): at every output
// time the kernel curve lies within the 95% band (Student t) of the seeds' mean.
TEST(TangentModel, AgreesWithKernelLimitWithinMonteCarloBand)
{
  const auto             problem = ntk::testing::make_problem({{"Dimension d", "10"}});
  const ntk::KernelLimit limit(problem, {3, 8, 24});
  const std::vector<double> times = {0., 0.05, 0.1, 0.2, 0.3};
  std::vector<std::vector<double>> risks(times.size());
  for (unsigned int seed = 1; seed <= 6; ++seed)
    {
      ntk::TangentModel model(problem, 1000, seed);
      model.draw_test_sample(2000);
      for (unsigned int i = 0; i < times.size(); ++i)
        {
          if (i > 0)
            model.train(times[i - 1], times[i], 1e-4);
          risks[i].push_back(model.risk(limit.radial_law()).risk);
        }
    }
  for (unsigned int i = 0; i < times.size(); ++i)
    {
      const auto band = compare::mean_with_interval(risks[i]);
      std::cout << "t = " << times[i] << ": kernel " << limit.risk(times[i]) << ", tangent " << band.mean << " +- "
                << band.half_width << std::endl;
      EXPECT_NEAR(band.mean, limit.risk(times[i]), band.half_width) << "t = " << times[i];
    }
}
