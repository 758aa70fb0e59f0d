// The tangent model on MPI ranks (run with 2 ranks): the neurons are split as
// particles::SgdSimulator splits them, and the model shares its start and its
// samples with the SGD of the same seed and epsilon.
#include <mfdd/ntk/kernel_limit.h>
#include <mfdd/ntk/tangent_model.h>
#include <mfdd/particles/sgd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "test_ntk_problem.h"

using namespace mfdd;

// Every rank also runs the whole model alone on MPI_COMM_SELF. N = 202 puts
// the pair (100, 101) across the two ranks. The shared and the lone run sum
// the same terms in a different order, so they agree to round-off; the
// tangent model is linear in eta, so round-off is not amplified over the run.
TEST(TangentModelMpi, RiskCurveIndependentOfRankCount)
{
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto             problem = ntk::testing::make_problem({{"Dimension d", "5"}, {"Final time", "0.4"}});
  const ntk::KernelLimit limit(problem, {2, 6, 12});
  const double           epsilon = 1e-3;
  ntk::TangentModel      shared(problem, 202, epsilon, 4, MPI_COMM_WORLD), alone(problem, 202, epsilon, 4, MPI_COMM_SELF);
  EXPECT_EQ(shared.initial_network().n_local(), 202u / size);
  shared.draw_test_sample(500);
  alone.draw_test_sample(500);

  // Step 0: eta = 0, so f_lin = 0 exactly and the risk is E Var(y|x) + mean f^2.
  const double x[5] = {0.4, -1.3, 0.2, 0.9, -0.6};
  EXPECT_EQ(shared.predict(x), 0.);
  const auto start = shared.risk(limit.radial_law());
  EXPECT_EQ(start.risk, alone.risk(limit.radial_law()).risk);

  for (const double t : {0.05, 0.1, 0.2, 0.4})
    {
      shared.train(t);
      alone.train(t);
      ASSERT_EQ(shared.step_index(), std::lround(t / epsilon));
      const double r_shared = shared.risk(limit.radial_law()).risk, r_alone = alone.risk(limit.radial_law()).risk;
      EXPECT_NEAR(r_shared, r_alone, 1e-12 * r_alone) << "t = " << t;
      EXPECT_NEAR(shared.predict(x), alone.predict(x), 1e-12 * std::abs(alone.predict(x))) << "t = " << t;
      // the model learns: the risk decreases from its start
      EXPECT_LT(r_shared, start.risk) << "t = " << t;
    }
}

// One step from the same start: SGD moves theta_j by (2 s/alpha) y_0 grad sigma_*(x_0; theta_j^0)
// (f_alpha(x_0; Theta^0) = 0 up to round-off by the symmetric pairs), the tangent
// model moves eta_j = alpha (theta_j - theta_j^0) by 2 s y_0 g_j(x_0): the same step
// if and only if both see the same sample (x_0, y_0) and the same neurons. (Beyond one
// step they differ: f_alpha is not linear in theta; f_alpha - f_lin = O(s^2/alpha).)
// The tolerance is the round-off of theta^1 - theta^0 for |theta^0| <= scale.
TEST(TangentModelMpi, FirstStepIsTheSgdFirstStep)
{
  const auto   problem = ntk::testing::make_problem({{"Dimension d", "7"}, {"Scaling alpha", "3"}});
  const double epsilon = 0.01;
  const unsigned int N = 40, seed = 11;
  ntk::TangentModel model(problem, N, epsilon, seed, MPI_COMM_WORLD);
  particles::SgdParameters p;
  p.N                        = N;
  p.epsilon                  = epsilon;
  p.batch_size               = 1;
  p.symmetric_initialisation = true;
  p.record_exact_risk        = false;
  particles::SgdSimulator sgd(problem, p, seed, MPI_COMM_WORLD);
  auto &start = model.initial_network();
  ASSERT_EQ(sgd.first_neuron(), start.first_neuron());
  ASSERT_EQ(sgd.n_local(), start.n_local());
  EXPECT_EQ(sgd.weights(), start.weights());
  EXPECT_EQ(sgd.amplitudes(), start.amplitudes());

  const std::vector<double> w0 = sgd.weights(), a0 = sgd.amplitudes();
  sgd.step();
  model.train(epsilon);
  double scale = 1.;
  for (const double v : w0)
    scale = std::max(scale, std::abs(v));
  for (const double v : a0)
    scale = std::max(scale, std::abs(v));
  const double tolerance = 1e-14 * problem.alpha * scale;
  double       largest_move = 0.;
  for (unsigned int j = 0; j < sgd.n_local(); ++j)
    {
      EXPECT_NEAR(problem.alpha * (sgd.amplitudes()[j] - a0[j]), model.amplitude_displacements()[j], tolerance);
      for (unsigned int m = 0; m < 7; ++m)
        {
          const double eta = model.weight_displacements()[7 * j + m];
          EXPECT_NEAR(problem.alpha * (sgd.weights()[7 * j + m] - w0[7 * j + m]), eta, tolerance);
          largest_move = std::max(largest_move, std::abs(eta));
        }
    }
  // the step is not trivially zero
  EXPECT_GT(largest_move, 1e3 * tolerance);
}
