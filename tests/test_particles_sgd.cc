// The SGD simulator: gradients, one step by hand (plain, mini-batch,
// alpha-scaled, noisy), initial law and samples, symmetric initialisation,
// independence of the MPI partition, the mean drift against the kernels'
// gradient of Psi, and R_N at t = 0 against R(rho-bar_0). Runs on 2 ranks.
#include "make_problem.h"
#include <mfdd/io/output.h>
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/particles/sgd.h>

#include <deal.II/base/mpi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <string>

using namespace mfdd;
using particles::SgdParameters;
using particles::SgdSimulator;

namespace
{
  using test_support::make_problem;

  SgdParameters
  make_parameters(unsigned int N, double epsilon, unsigned int B = 1)
  {
    SgdParameters p;
    p.N               = N;
    p.epsilon         = epsilon;
    p.batch_size      = B;
    p.output_interval = 0.1;
    return p;
  }

  unsigned int
  rank()
  {
    return dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD);
  }

  // A deterministic pseudo-random value in [-1, 1] for test data.
  double
  pseudo(unsigned int i)
  {
    return std::sin(12.9898 * i + 78.233) * 0.5 + 0.3 * std::cos(3.7 * i * i);
  }
} // namespace

// grad_theta sigma_*(x; theta) against central differences of sigma_*, for a
// fixed and a trainable second layer and each activation, away from kinks.
TEST(NeuronGradient, MatchesFiniteDifferences)
{
  for (const std::string activation : {"tanh", "truncated relu", "relu"})
    for (const std::string layer : {"fixed", "trainable"})
      {
        const auto problem =
          make_problem({{"Dimension d", "5"}, {"Activation", activation}, {"Second layer", layer}});
        const unsigned int d = 5, D = problem.neuron_dimension();
        for (unsigned int trial = 0; trial < 20; ++trial)
          {
            std::vector<double> theta(D), x(d), gradient(D);
            for (unsigned int j = 0; j < D; ++j)
              theta[j] = 1.3 * pseudo(100 * trial + j);
            for (unsigned int j = 0; j < d; ++j)
              x[j] = 2. * pseudo(100 * trial + 50 + j);
            const unsigned int offset = D - d;
            const auto         f      = [&](const std::vector<double> &t) {
              std::vector<double> unused(D);
              return particles::neuron_output_and_gradient(problem, offset ? t[0] : 1., t.data() + offset, x.data(),
                                                           unused.data());
            };
            particles::neuron_output_and_gradient(problem, offset ? theta[0] : 1., theta.data() + offset, x.data(),
                                                  gradient.data());
            double h = 0.;
            for (unsigned int j = 0; j < d; ++j)
              h += theta[offset + j] * x[j];
            // Finite differences do not see a one-sided derivative at a kink.
            if (std::abs(h) < 1e-3 || std::abs(h - 0.5) < 1e-3 || std::abs(h - 1.5) < 1e-3)
              continue;
            for (unsigned int j = 0; j < D; ++j)
              {
                const double step = 1e-7;
                auto         plus = theta, minus = theta;
                plus[j] += step;
                minus[j] -= step;
                const double fd = (f(plus) - f(minus)) / (2. * step);
                // central differences: O(step^2 |sigma'''|) + O(1e-16 / step) round-off
                EXPECT_NEAR(gradient[j], fd, 1e-7 * (1. + std::abs(fd)))
                  << activation << ", " << layer << ", trial " << trial << ", coordinate " << j;
              }
          }
      }
}

namespace
{
  // Sets neuron i (global index) to w_ij = pseudo(10 i + j), a_i = pseudo(7 i + 3).
  void
  set_neurons(SgdSimulator &sgd, unsigned int d, bool trainable)
  {
    for (unsigned int l = 0; l < sgd.n_local(); ++l)
      {
        const unsigned int i = sgd.first_neuron() + l;
        for (unsigned int j = 0; j < d; ++j)
          sgd.weights()[l * d + j] = pseudo(10 * i + j);
        if (trainable)
          sgd.amplitudes()[l] = pseudo(7 * i + 3);
      }
  }

  // One step by hand: theta_i += (2 s / alpha) (1/B) sum_b (y_b - f_alpha(x_b)) grad sigma_*(x_b; theta_i)
  // with sigma = tanh, written out without the library's gradient.
  void
  check_step(bool trainable, double alpha, unsigned int B)
  {
    const unsigned int d = 3, N = 5;
    const auto         problem =
      make_problem({{"Dimension d", "3"},
                    {"Activation", "tanh"},
                    {"Second layer", trainable ? "trainable" : "fixed"},
                    {"Scaling alpha", std::to_string(alpha)}});
    SgdSimulator sgd(problem, make_parameters(N, 1e-3, B), 7, MPI_COMM_WORLD);
    set_neurons(sgd, d, trainable);
    std::vector<double> x(B * d), y(B);
    for (unsigned int b = 0; b < B; ++b)
      {
        y[b] = b % 2 ? -1. : 1.;
        for (unsigned int j = 0; j < d; ++j)
          x[b * d + j] = 1.5 * pseudo(31 * b + j + 1);
      }
    const double s = 0.37;

    // All N neurons, as every rank knows them from set_neurons().
    std::vector<double> w(N * d), a(N, 1.);
    for (unsigned int i = 0; i < N; ++i)
      {
        for (unsigned int j = 0; j < d; ++j)
          w[i * d + j] = pseudo(10 * i + j);
        if (trainable)
          a[i] = pseudo(7 * i + 3);
      }
    std::vector<double> f(B, 0.);
    double              loss = 0.;
    for (unsigned int b = 0; b < B; ++b)
      {
        for (unsigned int i = 0; i < N; ++i)
          f[b] += alpha / N * a[i] *
                  std::tanh(w[i * d] * x[b * d] + w[i * d + 1] * x[b * d + 1] + w[i * d + 2] * x[b * d + 2]);
        loss += (y[b] - f[b]) * (y[b] - f[b]) / B;
      }
    EXPECT_NEAR(sgd.update(x, y, s, 0), loss, 1e-14);

    for (unsigned int l = 0; l < sgd.n_local(); ++l)
      {
        const unsigned int i = sgd.first_neuron() + l;
        double             new_a = a[i], new_w[3] = {w[i * d], w[i * d + 1], w[i * d + 2]};
        for (unsigned int b = 0; b < B; ++b)
          {
            const double h = w[i * d] * x[b * d] + w[i * d + 1] * x[b * d + 1] + w[i * d + 2] * x[b * d + 2];
            const double c = 2. * s / alpha * (y[b] - f[b]) / B;
            if (trainable)
              new_a += c * std::tanh(h);
            for (unsigned int j = 0; j < d; ++j)
              new_w[j] += c * a[i] * (1. - std::tanh(h) * std::tanh(h)) * x[b * d + j];
          }
        EXPECT_NEAR(sgd.amplitudes()[l], new_a, 1e-14) << "neuron " << i;
        for (unsigned int j = 0; j < d; ++j)
          EXPECT_NEAR(sgd.weights()[l * d + j], new_w[j], 1e-14) << "neuron " << i << ", coordinate " << j;
      }
  }
} // namespace

TEST(SgdStep, FixedSecondLayerByHand)
{
  check_step(false, 1., 1);
}

TEST(SgdStep, TrainableAlphaScaledMiniBatchByHand)
{
  check_step(true, 2.5, 3);
}

// Noisy SGD: theta <- (1 - 2 lambda s) theta + gradient part + sqrt(2 s tau / D) g,
// g the noise stream of (seed, neuron, step). The gradient part is isolated by
// running the same step without noise and decay.
TEST(SgdStep, NoiseAndWeightDecay)
{
  const unsigned int d = 4, N = 3, seed = 11;
  const double       tau = 0.3, lambda = 0.2, s = 0.05;
  const auto         noisy    = make_problem({{"Dimension d", "4"},
                                              {"Second layer", "trainable"},
                                              {"Temperature tau", "0.3"},
                                              {"Weight decay lambda", "0.2"}});
  const auto         noiseless = make_problem({{"Dimension d", "4"}, {"Second layer", "trainable"}});
  SgdSimulator       with(noisy, make_parameters(N, 1e-3), seed, MPI_COMM_WORLD);
  SgdSimulator       without(noiseless, make_parameters(N, 1e-3), seed, MPI_COMM_WORLD);
  std::vector<double> x, y;
  with.samples(5, x, y);
  const auto w0 = with.weights();
  const auto a0 = with.amplitudes();
  with.update(x, y, s, 5);
  without.update(x, y, s, 5);

  const particles::RandomStreams random(seed);
  const double                   scale = std::sqrt(2. * s * tau / (d + 1));
  for (unsigned int l = 0; l < with.n_local(); ++l)
    {
      std::vector<double> g(d + 1);
      random.normals(particles::RandomStreams::noise, with.first_neuron() + l, 5, g.data(), d + 1);
      const double decay = 1. - 2. * lambda * s;
      EXPECT_NEAR(with.amplitudes()[l], decay * a0[l] + (without.amplitudes()[l] - a0[l]) + scale * g[0], 1e-14);
      for (unsigned int j = 0; j < d; ++j)
        EXPECT_NEAR(with.weights()[l * d + j],
                    decay * w0[l * d + j] + (without.weights()[l * d + j] - w0[l * d + j]) + scale * g[1 + j], 1e-14);
    }
}

// w ~ N(0, kappa^2/d I): E|w|^2 = kappa^2, Var |w|^2 = 2 kappa^4 / d; a uniform
// on [lower, upper]; the bump law's variance on [-1, 1] is 1/7.
TEST(SgdInitialLaw, MomentsOfWeightsAndAmplitudes)
{
  for (const std::string law : {"uniform", "bump"})
    {
      const unsigned int N = 20000, d = 10;
      const auto problem = make_problem({{"Dimension d", "10"},
                                         {"Second layer", "trainable"},
                                         {"Initial kappa", "0.7"},
                                         {"Initial a law", law},
                                         {"Initial a lower", "-1"},
                                         {"Initial a upper", "1"}});
      SgdSimulator sgd(problem, make_parameters(N, 1e-3), 3, MPI_COMM_WORLD);
      double       sums[3] = {0., 0., 0.};
      for (unsigned int l = 0; l < sgd.n_local(); ++l)
        {
          double r2 = 0.;
          for (unsigned int j = 0; j < d; ++j)
            r2 += sgd.weights()[l * d + j] * sgd.weights()[l * d + j];
          sums[0] += r2;
          sums[1] += sgd.amplitudes()[l];
          sums[2] += sgd.amplitudes()[l] * sgd.amplitudes()[l];
          ASSERT_LE(std::abs(sgd.amplitudes()[l]), 1.);
        }
      MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      const double k2       = 0.49;
      const double variance = law == "uniform" ? 1. / 3. : 1. / 7.;
      // 5 standard errors
      EXPECT_NEAR(sums[0] / N, k2, 5. * std::sqrt(2. * k2 * k2 / d / N));
      EXPECT_NEAR(sums[1] / N, 0., 5. * std::sqrt(variance / N));
      // Var(a^2) <= E a^4 <= 1/5
      EXPECT_NEAR(sums[2] / N, variance, 5. * std::sqrt(0.2 / N)) << law;
    }
}

// Labels +-1 with probability 1/2, x_j | y ~ N(0, std_y^2); the same on every rank.
TEST(SgdSamples, ClassMomentsAndIdenticalOnRanks)
{
  const auto   problem = make_problem({{"Dimension d", "6"}, {"Delta", "0.5"}});
  SgdSimulator sgd(problem, make_parameters(4, 1e-3, 2), 5, MPI_COMM_WORLD);
  const unsigned int  n = 20000, d = 6;
  double              plus = 0., second[2] = {0., 0.}, count[2] = {0., 0.};
  std::vector<double> x, y;
  for (unsigned int k = 0; k < n; ++k)
    {
      sgd.samples(k, x, y);
      for (unsigned int b = 0; b < 2; ++b)
        {
          const unsigned int c = y[b] > 0 ? 0 : 1;
          plus += y[b] > 0;
          count[c] += d;
          for (unsigned int j = 0; j < d; ++j)
            second[c] += x[b * d + j] * x[b * d + j];
        }
    }
  EXPECT_NEAR(plus / (2 * n), 0.5, 5. * std::sqrt(0.25 / (2 * n)));
  EXPECT_NEAR(second[0] / count[0], 2.25, 5. * std::sqrt(2. * 2.25 * 2.25 / count[0]));
  EXPECT_NEAR(second[1] / count[1], 0.25, 5. * std::sqrt(2. * 0.25 * 0.25 / count[1]));
  // Rank 0's sample of step 123 reaches every rank unchanged.
  sgd.samples(123, x, y);
  auto root_x = x;
  MPI_Bcast(root_x.data(), root_x.size(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  EXPECT_EQ(x, root_x);
}

// Pairs (a, w), (-a, w): the network output is exactly 0 at t = 0, so the
// first per-sample loss is y^2 = 1.
TEST(SgdInitialLaw, SymmetricInitialisationCancelsTheOutput)
{
  const auto problem = make_problem({{"Dimension d", "5"}, {"Second layer", "trainable"}});
  auto       p       = make_parameters(6, 1e-3);
  p.symmetric_initialisation = true;
  SgdSimulator        sgd(problem, p, 2, MPI_COMM_WORLD);
  std::vector<double> x, y;
  sgd.samples(0, x, y);
  EXPECT_EQ(sgd.update(x, y, 0., 0), 1.);
  const auto z = sgd.gathered_reduced_coordinates(); // (a, r) per neuron
  for (unsigned int i = 0; i < 6; i += 2)
    {
      EXPECT_EQ(z[2 * i], -z[2 * i + 2]);
      EXPECT_EQ(z[2 * i + 1], z[2 * i + 3]);
      EXPECT_NE(z[2 * i], 0.);
    }
}

// The same seed on 2 ranks (uneven N) and on one rank gives the same
// trajectory: every rank also runs the whole network alone on MPI_COMM_SELF.
TEST(SgdReproducibility, PartitionDoesNotChangeTheTrajectory)
{
  const auto problem = make_problem({{"Dimension d", "7"},
                                     {"Second layer", "trainable"},
                                     {"Temperature tau", "0.01"},
                                     {"Weight decay lambda", "0.1"}});
  const auto   p = make_parameters(37, 1e-2, 2);
  SgdSimulator shared(problem, p, 9, MPI_COMM_WORLD), alone(problem, p, 9, MPI_COMM_SELF);
  for (unsigned int k = 0; k < 100; ++k)
    {
      shared.step();
      alone.step();
    }
  EXPECT_EQ(shared.step_index(), 100u);
  for (unsigned int l = 0; l < shared.n_local(); ++l)
    {
      const unsigned int i = shared.first_neuron() + l;
      EXPECT_NEAR(shared.amplitudes()[l], alone.amplitudes()[i], 1e-12);
      for (unsigned int j = 0; j < 7; ++j)
        EXPECT_NEAR(shared.weights()[l * 7 + j], alone.weights()[i * 7 + j], 1e-12);
    }
  // The weights moved: the comparison is not between two initial states.
  SgdSimulator fresh(problem, p, 9, MPI_COMM_SELF);
  EXPECT_GT(std::abs(alone.weights()[0] - fresh.weights()[0]), 1e-4);
}

// advance() (what run() uses: fused update and next products for B = 1, no
// noise) gives the same bits as repeated step() (plain update()).
TEST(SgdReproducibility, FusedStepsEqualPlainSteps)
{
  for (const std::string layer : {"fixed", "trainable"})
    {
      const auto   problem = make_problem({{"Dimension d", "13"}, {"Second layer", layer}});
      const auto   p       = make_parameters(21, 1e-2);
      SgdSimulator plain(problem, p, 3, MPI_COMM_WORLD), fused(problem, p, 3, MPI_COMM_WORLD);
      for (unsigned int k = 0; k < 60; ++k)
        plain.step();
      fused.advance(25);
      fused.advance(60);
      EXPECT_EQ(fused.step_index(), 60u);
      EXPECT_EQ(plain.weights(), fused.weights()) << layer;
      EXPECT_EQ(plain.amplitudes(), fused.amplitudes()) << layer;
    }
}

// Exact-risk period: explicit, off, and automatic (records cost N^2/2 (d + 330)
// multiply-adds, the run 2 N d T/epsilon; at most the share 0.2 of it).
TEST(SgdParameters, ExactRiskPeriod)
{
  const auto problem = make_problem({}); // d = 40, T = 2
  auto       p       = make_parameters(1000, 1e-3);
  EXPECT_EQ(p.n_output_times(problem), 21u);
  p.exact_risk_every = 3;
  EXPECT_EQ(p.exact_risk_period(problem, 21), 3u);
  p.record_exact_risk = false;
  EXPECT_EQ(p.exact_risk_period(problem, 21), 0u);
  p.record_exact_risk = true;
  p.exact_risk_every  = 0;
  // 2000 steps cost 1.6e8, a record 1.85e8: none fits in 20%, so none is taken.
  EXPECT_EQ(p.exact_risk_period(problem, 21), 0u);
  // 25000 steps cost 2e9: 20% pays 2 records, at t = 0 and T (period 20).
  p.epsilon = 8e-5;
  EXPECT_EQ(p.exact_risk_period(problem, 21), 20u);
  // 2e6 steps cost 1.6e11: 0.2 of it pays 172 records, so every output time.
  p.epsilon = 1e-6;
  EXPECT_EQ(p.exact_risk_period(problem, 21), 1u);
  // 2e5 steps: 0.2 * 1.6e10 / 1.85e8 = 17.3 records -> period ceil(20/16) = 2.
  p.epsilon = 1e-5;
  EXPECT_EQ(p.exact_risk_period(problem, 21), 2u);
  // and the run's estimated cost: the steps plus the 11 records at 0, 2, ..., 20
  EXPECT_DOUBLE_EQ(p.estimated_cost(problem), 1.6e10 + 11 * 1.85e8);
  // N = 4000: a record costs 2.96e9, more than 20% of 2000 steps (1.3e8): none.
  auto large = make_parameters(4000, 1e-3);
  EXPECT_EQ(large.exact_risk_period(problem, 21), 0u);
  // 5e4 steps cost 1.6e10: 20% pays one record (t = 0 only).
  large.epsilon = 4e-5;
  EXPECT_EQ(large.exact_risk_period(problem, 21), 21u);
}

namespace
{
  // grad_theta Psi(theta_i; rho-hat_N) = grad V(theta_i) + (alpha/N) sum_j grad_1 U(theta_i, theta_j)
  // for theta = (a, w), from the kernels library's Gaussian expectations:
  // with s_+-(w) = sqrt(sum_b std_{b,+-}^2 |w_b|^2) and C_+- = sum_b std_{b,+-}^2 <w_b, w'_b>,
  // V = -(a/2) [q(s_+) - q(s_-)], U = (a a'/2) sum_+- E[sigma(X) sigma(X')].
  std::vector<double>
  psi_gradient(const model::Problem &problem, const std::vector<double> &w, const std::vector<double> &a, unsigned int i)
  {
    const auto         e = kernels::GaussianExpectations::create(*problem.activation);
    const unsigned int d = problem.d, N = a.size();
    const auto        &block = problem.data.blocks()[0]; // isotropic: one block
    std::vector<double> gradient(d + 1, 0.);
    const double      *wi = &w[i * d];
    double             r2 = 0.;
    for (unsigned int j = 0; j < d; ++j)
      r2 += wi[j] * wi[j];
    for (const bool plus : {true, false})
      {
        const double v2 = block.std_for(plus) * block.std_for(plus), s = std::sqrt(v2 * r2);
        const double sign = plus ? -0.5 : 0.5; // V = sum_+- sign a q(s_+-)
        gradient[0] += sign * e->q(s);
        for (unsigned int j = 0; j < d; ++j)
          gradient[1 + j] += sign * a[i] * e->dq(s) * v2 * wi[j] / s;
        for (unsigned int m = 0; m < N; ++m)
          {
            const double *wm = &w[m * d];
            double        rm2 = 0., c = 0.;
            for (unsigned int j = 0; j < d; ++j)
              {
                rm2 += wm[j] * wm[j];
                c += wi[j] * wm[j];
              }
            const auto pair = e->pair_with_derivatives(s, std::sqrt(v2 * rm2), v2 * c);
            gradient[0] += problem.alpha / N * 0.5 * a[m] * pair.value;
            for (unsigned int j = 0; j < d; ++j)
              gradient[1 + j] +=
                problem.alpha / N * 0.5 * a[i] * a[m] * (pair.d_sx * v2 * wi[j] / s + pair.d_C * v2 * wm[j]);
          }
      }
    return gradient;
  }
} // namespace

// E[theta^{k+1} - theta^k | Theta^k] = -(2 s / alpha) grad Psi_alpha(theta_i; rho-hat_N):
// the mean of many one-step increments from the same state agrees with the
// kernels' gradient within 4.5 standard errors, coordinate by coordinate.
TEST(SgdMeanDrift, AgreesWithKernelGradientOfPsi)
{
  for (const double alpha : {1., 1.7})
    {
      const unsigned int d = 6, N = 4, n_samples = 200000;
      const auto problem = make_problem({{"Dimension d", "6"},
                                         {"Second layer", "trainable"},
                                         {"Initial kappa", "1.2"},
                                         {"Scaling alpha", std::to_string(alpha)}});
      SgdSimulator       sgd(problem, make_parameters(N, 1e-3), 4, MPI_COMM_SELF);
      const auto         w0 = sgd.weights(), a0 = sgd.amplitudes();
      const double       s  = 1e-2;
      std::vector<double> sum((d + 1) * N, 0.), sum2((d + 1) * N, 0.), x, y;
      // The ranks split the samples.
      for (unsigned int k = rank(); k < n_samples; k += dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD))
        {
          sgd.samples(k, x, y);
          sgd.update(x, y, s, k);
          for (unsigned int i = 0; i < N; ++i)
            for (unsigned int j = 0; j <= d; ++j)
              {
                const double delta = j == 0 ? sgd.amplitudes()[i] - a0[i] : sgd.weights()[i * d + j - 1] - w0[i * d + j - 1];
                sum[i * (d + 1) + j] += delta;
                sum2[i * (d + 1) + j] += delta * delta;
              }
          sgd.weights()    = w0;
          sgd.amplitudes() = a0;
        }
      MPI_Allreduce(MPI_IN_PLACE, sum.data(), sum.size(), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, sum2.data(), sum2.size(), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      unsigned int clear_signal = 0;
      for (unsigned int i = 0; i < N; ++i)
        {
          const auto gradient = psi_gradient(problem, w0, a0, i);
          for (unsigned int j = 0; j <= d; ++j)
            {
              const double mean     = sum[i * (d + 1) + j] / n_samples;
              const double error    = std::sqrt((sum2[i * (d + 1) + j] / n_samples - mean * mean) / n_samples);
              const double expected = -2. * s / alpha * gradient[j];
              EXPECT_NEAR(mean, expected, 4.5 * error) << "alpha " << alpha << ", neuron " << i << ", coordinate " << j;
              clear_signal += std::abs(expected) > 10. * error;
            }
        }
      // The test has power: most expected drifts stand far out of the noise.
      EXPECT_GE(clear_signal, N * (d + 1) / 2) << "alpha " << alpha;
    }
}

// R_N(Theta^0) of N = 2000 neurons (d = 40, running example): E R_N - R(rho-bar_0)
// is the self-interaction b/N (b ~ 6.5, doc/theory.md §5); the rest fluctuates by
// about 2 sd(psi(z; rho-bar_0)) / sqrt(N) (the linear part of the U-statistic).
TEST(SgdExactRisk, InitialRiskMatchesPopulationRisk)
{
  const unsigned int N       = 2000;
  const auto         problem = make_problem({});
  SgdSimulator       sgd(problem, make_parameters(N, 1e-3), 1, MPI_COMM_WORLD);
  const auto         result = sgd.exact_risk();

  const kernels::PopulationKernels kernels(problem);
  const auto initial = model::initial_law_quadrature(problem.reduced_setting(), 100);
  const double population = kernels.risk(initial.points, initial.weights);
  double       psi_mean = 0., psi_square = 0.;
  for (std::size_t p = 0; p < initial.weights.size(); ++p)
    {
      double psi = kernels.V(&initial.points[p]);
      for (std::size_t q = 0; q < initial.weights.size(); ++q)
        psi += initial.weights[q] * kernels.U(&initial.points[p], &initial.points[q]);
      psi_mean += initial.weights[p] * psi;
      psi_square += initial.weights[p] * psi * psi;
    }
  const double band = 4. * 2. * std::sqrt(psi_square - psi_mean * psi_mean) / std::sqrt(double(N));
  if (rank() == 0)
    std::cout << "R_N = " << result.risk << ", self-interaction = " << result.self_interaction
              << ", R(rho-bar_0) = " << population << ", band = " << band << std::endl;
  EXPECT_NEAR(result.risk - result.self_interaction, population, band);
  EXPECT_GT(band, 1e-3); // a real band, not a degenerate one
  EXPECT_LT(band, 0.2);
  EXPECT_NEAR(result.self_interaction * N, 6.5, 1.);
}
