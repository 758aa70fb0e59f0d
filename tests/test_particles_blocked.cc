// Blocked SGD (doc/theory.md §10) against the step-by-step SGD: the same
// trajectory up to round-off for every kind of step, and the same bits on 1
// and 2 ranks. Runs on 2 ranks.
#include "make_problem.h"
#include <mfdd/particles/sgd.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace mfdd;
using particles::SgdParameters;
using particles::SgdSimulator;
using test_support::make_problem;

namespace
{
  SgdParameters
  make_parameters(unsigned int N, double epsilon, unsigned int B, unsigned int m)
  {
    SgdParameters p;
    p.N            = N;
    p.epsilon      = epsilon;
    p.batch_size   = B;
    p.block_length = m;
    return p;
  }

  // max |u - v| / max |v| over all ranks.
  double
  relative_difference(const std::vector<double> &u, const std::vector<double> &v)
  {
    double difference = 0., size = 0.;
    for (std::size_t i = 0; i < u.size(); ++i)
      {
        difference = std::max(difference, std::abs(u[i] - v[i]));
        size       = std::max(size, std::abs(v[i]));
      }
    return dealii::Utilities::MPI::max(difference, MPI_COMM_WORLD) /
           dealii::Utilities::MPI::max(size, MPI_COMM_WORLD);
  }
} // namespace

// 10^4 steps, N = 203 (no multiple of the panel width, the chunk or the
// ranks), block lengths 7 and 17 (divide neither the steps nor the chunks of
// run(); with B = 4, 68 samples a block, more than 64), advanced in pieces
// that end inside a block. The ReLUs with a fixed second layer take the
// pattern path (ActivityPattern), the others the dense one.
TEST(BlockedSgd, EqualsStepByStepToRoundOff)
{
  const unsigned int N = 203, steps = 10000;
  for (const std::string activation : {"truncated relu", "relu", "tanh"})
    for (const std::string layer : {"fixed", "trainable"})
      for (const unsigned int B : {1u, 4u})
        for (const std::string variant : {"weight decay", "alpha"})
          for (const unsigned int m : {7u, 17u})
          {
            const bool decay   = variant == "weight decay";
            const auto problem = make_problem({{"Dimension d", "13"},
                                               {"Activation", activation},
                                               {"Second layer", layer},
                                               {"Weight decay lambda", decay ? "0.3" : "0"},
                                               {"Scaling alpha", decay ? "1" : "4"},
                                               {"Final time", "2"}});
            const double epsilon = 2. / steps;
            SgdSimulator plain(problem, make_parameters(N, epsilon, B, 1), 5, MPI_COMM_WORLD);
            SgdSimulator blocked(problem, make_parameters(N, epsilon, B, m), 5, MPI_COMM_WORLD);
            SgdSimulator start(problem, make_parameters(N, epsilon, B, 1), 5, MPI_COMM_WORLD);
            const double loss_plain = plain.advance(steps);
            double       loss_blocked = 0.;
            // Between the ends the weights stay in the block layout but for
            // one end where they are copied back (as run() at an output time).
            for (const unsigned long end : {1ul, 30ul, 1000ul, 5003ul, 10000ul})
              loss_blocked += blocked.advance(end, end != 1000ul);
            const std::string label = activation + ", " + layer + ", B = " + std::to_string(B) + ", " + variant +
                                      ", m = " + std::to_string(m);
            EXPECT_EQ(blocked.step_index(), steps) << label;
            EXPECT_LT(relative_difference(blocked.weights(), plain.weights()), 1e-12) << label;
            EXPECT_LT(relative_difference(blocked.amplitudes(), plain.amplitudes()), 1e-12) << label;
            EXPECT_NEAR(loss_blocked, loss_plain, 1e-10 * loss_plain) << label;
            // The weights moved by far more than the tolerance.
            EXPECT_GT(relative_difference(plain.weights(), start.weights()), 1e-3) << label;
          }
}

// Every rank also runs the whole network alone on MPI_COMM_SELF: the same
// bits, for the blocked and the step-by-step update.
TEST(BlockedSgd, SameBitsOnOneAndTwoRanks)
{
  for (const unsigned int m : {1u, 5u})
    for (const std::string layer : {"fixed", "trainable"})
      {
        const auto problem = make_problem({{"Dimension d", "11"},
                                           {"Activation", "relu"},
                                           {"Second layer", layer},
                                           {"Weight decay lambda", "0.2"}});
        const auto   p = make_parameters(101, 1e-3, 2, m);
        SgdSimulator shared(problem, p, 9, MPI_COMM_WORLD), alone(problem, p, 9, MPI_COMM_SELF);
        for (const unsigned long end : {17ul, 300ul, 1000ul})
          {
            shared.advance(end, true);
            alone.advance(end, end == 300ul);
          }
        for (unsigned int l = 0; l < shared.n_local(); ++l)
          {
            const unsigned int i = shared.first_neuron() + l;
            ASSERT_EQ(shared.amplitudes()[l], alone.amplitudes()[i]) << layer << ", m = " << m;
            for (unsigned int j = 0; j < 11; ++j)
              ASSERT_EQ(shared.weights()[l * 11 + j], alone.weights()[i * 11 + j]) << layer << ", m = " << m;
          }
      }
}

// SGD/Block length: 'automatic' is 2 sqrt(d) / B rounded, at least 2; for
// the ReLUs with a fixed second layer 16 + 0.4 d clamped to [16, 64] and
// rounded up to a multiple of 8, over B.
TEST(BlockedSgd, AutomaticBlockLength)
{
  dealii::ParameterHandler prm;
  SgdParameters::declare_parameters(prm);
  prm.enter_subsection("Output");
  prm.declare_entry("Output interval", "0.1");
  prm.leave_subsection();
  SgdParameters p;
  p.parse_parameters(prm);
  EXPECT_EQ(p.block_length, 0u);
  const auto dense = [](const std::string &d) {
    return make_problem({{"Dimension d", d}, {"Second layer", "trainable"}});
  };
  EXPECT_EQ(p.steps_per_block(dense("100")), 20u);
  EXPECT_EQ(p.steps_per_block(dense("40")), 13u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "40"}, {"Activation", "tanh"}})), 13u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "100"}})), 56u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "200"}})), 64u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "40"}, {"Activation", "relu"}})), 32u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "20"}})), 24u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "2"}})), 24u);
  p.batch_size = 4;
  EXPECT_EQ(p.steps_per_block(dense("100")), 5u);
  EXPECT_EQ(p.steps_per_block(dense("2")), 2u);
  EXPECT_EQ(p.steps_per_block(make_problem({{"Dimension d", "100"}})), 14u);
  prm.enter_subsection("SGD");
  prm.set("Block length", "7");
  prm.leave_subsection();
  p.parse_parameters(prm);
  EXPECT_EQ(p.steps_per_block(make_problem({})), 7u);
}
