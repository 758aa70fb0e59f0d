// The lookup path of blocked SGD (ActivityPattern): the pre-activation from
// H and the table lookups, the activation and sigma' bits in one pass, with
// the bits of model::Activation (value and derivative != 0), at the kinks,
// the padding lanes cleared.
#include <mfdd/model/activation.h>

#include "activity_pattern.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

using namespace mfdd;
using particles::ActivityPattern;

namespace
{
  bool
  same_bits(double u, double v)
  {
    return std::memcmp(&u, &v, sizeof(double)) == 0;
  }

  // Pre-activations that hit the kinks of both ReLUs exactly and from either side.
  std::vector<double>
  pre_activations(unsigned int n)
  {
    const std::vector<double> kinks = {0., -0., 0.5, 1.5};
    std::vector<double>       t;
    for (unsigned int l = 0; t.size() < n; ++l)
      {
        const double kink = kinks[l % kinks.size()];
        t.push_back(kink);
        t.push_back(std::nextafter(kink, -1.));
        t.push_back(std::nextafter(kink, 2.));
        t.push_back(0.37 * l - 3.1);
      }
    t.resize(n);
    return t;
  }

  // Row c of H for n_panels panels (stored by sample, as WeightPanels does).
  void
  set_row(std::vector<double> &H, unsigned int c, unsigned int n_panels, const std::vector<double> &row)
  {
    for (unsigned int l = 0; l < row.size(); ++l)
      H[(std::size_t(c) * n_panels + l / 8) * 8 + l % 8] = row[l];
  }

  // Sample c's bit of neuron l, once recorded (by neuron and group of 8 samples).
  bool
  bit(const ActivityPattern &pattern, unsigned int c, unsigned int l)
  {
    const auto factors = pattern.update_factors();
    return (factors.groups[((l / 8) * factors.n_groups + c / 8) * 8 + l % 8] >> (c % 8)) & 1;
  }

  void
  check(const model::Activation &sigma)
  {
    SCOPED_TRACE(sigma.name());
    // 21 neurons: three panels, the last one partial.
    const unsigned int n = 21, n_panels = 3, columns = 2;
    ActivityPattern    pattern(sigma);
    pattern.reinit(n_panels, columns);
    std::vector<double> H(std::size_t(columns) * n_panels * 8, 0.), h(n_panels * 8);

    // Sample 0: no earlier samples, scale 1.
    const auto t0 = pre_activations(n);
    set_row(H, 0, n_panels, t0);
    const double g_none[1] = {0.};
    pattern.correct_and_activate(H.data(), 0, g_none, 0, 1., n, h.data());
    const double u0 = 0.75;
    pattern.record(0, u0);
    for (unsigned int l = 0; l < n_panels * 8; ++l)
      if (l < n)
        {
          EXPECT_TRUE(same_bits(h[l], sigma.value(t0[l]))) << "t = " << t0[l] << ": " << h[l];
          EXPECT_EQ(bit(pattern, 0, l), sigma.derivative(t0[l]) != 0.) << "t = " << t0[l];
        }
      else
        EXPECT_FALSE(bit(pattern, 0, l)) << "padding lane " << l;

    // Sample 1: H plus u0 g0 where sample 0's bit is set, times the scale.
    std::vector<double> t1(n);
    for (unsigned int l = 0; l < n; ++l)
      t1[l] = 1.1 - 0.13 * l;
    set_row(H, 1, n_panels, t1);
    const double g[1] = {0.4}, scale = 0.999;
    pattern.correct_and_activate(H.data(), 1, g, 1, scale, n, h.data());
    pattern.record(1, 0.5);
    unsigned int active = 0;
    for (unsigned int l = 0; l < n; ++l)
      {
        const double t = (t1[l] + (bit(pattern, 0, l) ? u0 * g[0] : 0.)) * scale;
        EXPECT_TRUE(same_bits(h[l], sigma.value(t))) << "neuron " << l << ": t = " << t;
        EXPECT_EQ(bit(pattern, 1, l), sigma.derivative(t) != 0.) << "neuron " << l;
        active += bit(pattern, 0, l);
      }
    EXPECT_GT(active, 0u);
    EXPECT_LT(active, n);
  }
} // namespace

TEST(ActivityPattern, ActivationAndBitsAsTheModelsTruncatedRelu)
{
  check(model::TruncatedReLU(-2.5, 7.5, 0.5, 1.5));
}

TEST(ActivityPattern, ActivationAndBitsAsTheModelsRelu)
{
  check(model::ReLU());
}
