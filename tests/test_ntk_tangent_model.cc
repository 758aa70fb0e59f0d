// The finite-N tangent model trained by alpha-scaled SGD (ntk/tangent_model.h),
// and the kernel limit against it (a second, independent route).
#include <mfdd/compare/statistics.h>
#include <mfdd/ntk/kernel_limit.h>
#include <mfdd/ntk/tangent_model.h>

#include <gtest/gtest.h>

#include <cmath>

#include "test_ntk_problem.h"

using namespace mfdd;

// The symmetrised initialisation makes f_lin vanish identically at the start,
// and one SGD step on the SgdSimulator's sample (x_0, y_0) gives
// f_lin(x') = 2 s y_0 H_N(x', x_0) with the empirical tangent kernel
// H_N(x', x) = (1/N) sum_j <g_j(x'), g_j(x)>, g_j = (sigma(<w_j,.>), a_j sigma'(<w_j,.>) .),
// computed here by hand.
TEST(TangentModel, SymmetricStartAndOneStepByHand)
{
  const auto        problem = ntk::testing::make_problem({{"Dimension d", "6"}});
  const double      epsilon = 0.01;
  ntk::TangentModel model(problem, 50, epsilon, 3, MPI_COMM_SELF);
  auto             &network = model.initial_network();
  ASSERT_EQ(network.n_local(), 50u);
  const auto &a = network.amplitudes();
  const auto &w = network.weights();
  for (unsigned int i = 0; i < 50; i += 2)
    {
      EXPECT_EQ(a[i], -a[i + 1]);
      for (unsigned int k = 0; k < 6; ++k)
        EXPECT_EQ(w[6 * i + k], w[6 * (i + 1) + k]);
    }
  const double xp[6] = {1.1, 0.2, -0.7, 1.5, 0.9, -0.3};
  EXPECT_EQ(model.predict(xp), 0.);
  std::vector<double> x, y;
  network.samples(0, x, y);
  model.train(epsilon);
  ASSERT_EQ(model.step_index(), 1u);

  const auto  &sigma = *problem.activation;
  const double s     = epsilon * problem.xi(0.);
  double       kernel = 0., dot = 0.;
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
  EXPECT_NEAR(model.predict(xp), 2. * s * y[0] * kernel, 1e-13 * (1. + std::abs(kernel)));
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
      ntk::TangentModel model(problem, 1000, 1e-4, seed, MPI_COMM_SELF);
      model.draw_test_sample(2000);
      for (unsigned int i = 0; i < times.size(); ++i)
        {
          model.train(times[i]);
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
