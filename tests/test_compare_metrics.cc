// Metrics of the comparison layer against exact values: W1 of distribution
// functions, projections and marginals of grid densities, test-function gaps,
// and the Student-t statistics and power-law fits of the study.
#include <mfdd/compare/comparison.h>
#include <mfdd/compare/metrics.h>
#include <mfdd/compare/statistics.h>
#include <mfdd/compare/wasserstein.h>
#include <mfdd/io/input_error.h>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>

using namespace mfdd;
using namespace mfdd::compare;

namespace
{
  model::ReducedLawSnapshot
  grid_snapshot_1d(double lower, double upper, const std::vector<double> &values)
  {
    model::ReducedLawSnapshot s;
    s.grid = {{lower}, {upper}, {static_cast<unsigned int>(values.size())}, values};
    // quadrature points: the cell midpoints with density * h
    const double h = (upper - lower) / values.size();
    for (std::size_t k = 0; k < values.size(); ++k)
      {
        s.points.push_back(lower + (k + 0.5) * h);
        s.weights.push_back(values[k] * h);
      }
    return s;
  }

  model::ReducedLawSnapshot
  particle_snapshot(const std::vector<double> &points, unsigned int dim)
  {
    model::ReducedLawSnapshot s;
    s.points = points;
    s.weights.assign(points.size() / dim, 1. / (points.size() / dim));
    return s;
  }

  // Uniform density on the box [x0, x0 + 1] x [y0, y0 + 1] with n x n cells.
  model::GridDensity
  unit_square(double x0, double y0, unsigned int n)
  {
    return {{x0, y0}, {x0 + 1., y0 + 1.}, {n, n}, std::vector<double>(n * n, 1.)};
  }

  // Uniform density on the box [z0, z0 + size] (3D) with n[k] cells along k.
  model::GridDensity
  uniform_box(const std::vector<double> &z0, const std::vector<double> &size, const std::vector<unsigned int> &n)
  {
    return {z0,
            {z0[0] + size[0], z0[1] + size[1], z0[2] + size[2]},
            n,
            std::vector<double>(n[0] * n[1] * n[2], 1. / (size[0] * size[1] * size[2]))};
  }

  // CDF of U[0, l0] + U[0, l1] + U[0, l2] (all lengths > 0) by inclusion and
  // exclusion: sum over subsets S of (-1)^|S| (u - sum_S l)_+^3 / (6 l0 l1 l2),
  // in long double; good where no length is tiny against the others.
  double
  three_uniforms_cdf(double u, const std::vector<double> &l)
  {
    long double sum = 0.;
    for (unsigned int subset = 0; subset < 8; ++subset)
      {
        long double shift = 0.;
        int         sign  = 1;
        for (unsigned int k = 0; k < 3; ++k)
          if (subset & (1u << k))
            {
              shift += l[k];
              sign = -sign;
            }
        const long double x = std::max(0.L, u - shift);
        sum += sign * x * x * x;
      }
    return double(sum / (6.L * l[0] * l[1] * l[2]));
  }
} // namespace

TEST(Wasserstein, UniformAgainstMidpointParticles)
{
  // F(x) = x on [0, 1] against N points at (i + 1/2)/N: each of the N cells
  // contributes two triangles of area (1/(2N))^2 / 2, so W1 = 1/(4N) exactly,
  // whatever grid carries the uniform density.
  for (const unsigned int n_cells : {1u, 7u, 64u})
    for (const unsigned int n : {1u, 10u, 333u})
      {
        std::vector<double> x(n), w(n, 1.);
        for (unsigned int i = 0; i < n; ++i)
          x[i] = (i + 0.5) / n;
        const auto uniform = DistributionFunction::from_cells(0., 1., std::vector<double>(n_cells, 3.));
        EXPECT_NEAR(wasserstein1(uniform, DistributionFunction::from_points(x, w)), 0.25 / n, 1e-14);
      }
}

TEST(Wasserstein, PointMassesAndShifts)
{
  const auto a = DistributionFunction::from_points({0.}, {1.});
  const auto b = DistributionFunction::from_points({1.5}, {2.});
  EXPECT_DOUBLE_EQ(wasserstein1(a, b), 1.5);
  // equal points are merged into one jump; weights normalised
  const auto c = DistributionFunction::from_points({1., 0., 1., 0.}, {1., 1., 1., 1.});
  EXPECT_DOUBLE_EQ(c.left_limit(1.), 0.5);
  EXPECT_DOUBLE_EQ(c.right_limit(1.), 1.);
  EXPECT_DOUBLE_EQ(wasserstein1(c, DistributionFunction::from_points({0.5}, {1.})), 0.5);
  // a uniform law shifted by 0.3 on a different grid: W1 = 0.3
  const auto u1 = DistributionFunction::from_cells(0., 1., std::vector<double>(10, 1.));
  const auto u2 = DistributionFunction::from_cells(0.3, 1.3, std::vector<double>(3, 1.));
  EXPECT_NEAR(wasserstein1(u1, u2), 0.3, 1e-14);
  EXPECT_NEAR(wasserstein1(u2, u1), 0.3, 1e-14);
}

TEST(Wasserstein, SignChangeInsideAnInterval)
{
  // U[0, 1] against U[-0.5, 1.5]: F - G = x/2 - 1/4 changes sign at x = 1/2
  // inside the one interval [0, 1]. Quantiles: W1 = int_0^1 |u - (2u - 1/2)| du = 1/4.
  const auto f = DistributionFunction::from_cells(0., 1., {1.});
  const auto g = DistributionFunction::from_cells(-0.5, 1.5, {1.});
  EXPECT_NEAR(wasserstein1(f, g), 0.25, 1e-15);
}

TEST(Wasserstein, LinearDensityOnCells)
{
  // density 2x sampled at cell midpoints on n cells gives the piecewise-linear
  // interpolant of F = x^2 at the knots; W1 against the point mass at 1 is
  // int_0^1 F = 1/3 + 1/(6 n^2) (trapezoidal rule for x^2).
  const unsigned int  n = 10;
  std::vector<double> values(n);
  for (unsigned int k = 0; k < n; ++k)
    values[k] = 2. * (k + 0.5) / n;
  const auto f = DistributionFunction::from_cells(0., 1., values);
  EXPECT_NEAR(wasserstein1(f, DistributionFunction::from_points({1.}, {1.})), 1. / 3. + 1. / (6. * n * n), 1e-14);
}

TEST(Wasserstein, MarginalsOfAProductDensity)
{
  // density g(x) h(y) on [0, 2] x [1, 2]: marginals are g and h exactly.
  model::GridDensity grid{{0., 1.}, {2., 2.}, {4, 3}, {}};
  const std::vector<double> g = {0.1, 0.2, 0.3, 0.4}, h = {0.5, 1., 1.5};
  for (unsigned int j = 0; j < 3; ++j)
    for (unsigned int i = 0; i < 4; ++i)
      grid.values.push_back(g[i] * h[j]);
  const auto mx = marginal(grid, 0), my = marginal(grid, 1);
  for (unsigned int i = 0; i < 4; ++i)
    EXPECT_NEAR(mx.values[i], g[i] * (0.5 + 1. + 1.5) / 3., 1e-15);
  for (unsigned int j = 0; j < 3; ++j)
    EXPECT_NEAR(my.values[j], h[j] * (0.1 + 0.2 + 0.3 + 0.4) * 0.5, 1e-15);
  EXPECT_DOUBLE_EQ(mx.lower[0], 0.);
  EXPECT_DOUBLE_EQ(my.upper[0], 2.);
}

TEST(Wasserstein, ProjectionOfTheUnitSquareIsExactAtBinEdges)
{
  // X, Y ~ U[0, 1] independent: c X + s Y is the sum of U[0, c] and U[0, s]
  // (c, s > 0), whose CDF is u^2/(2cs) below min, linear in between, and
  // 1 - (c + s - u)^2/(2cs) above max. One cell or many: the same law.
  const double phi = M_PI / 3., c = std::cos(phi), s = std::sin(phi);
  const auto   exact = [&](double u) {
    const double p = std::max(c, s), q = std::min(c, s);
    if (u <= 0.)
      return 0.;
    if (u < q)
      return u * u / (2 * p * q);
    if (u < p)
      return (u - q / 2) / p;
    if (u < p + q)
      return 1. - (p + q - u) * (p + q - u) / (2 * p * q);
    return 1.;
  };
  for (const unsigned int n : {1u, 5u})
    {
      const auto projected = project(unit_square(0., 0., n), {c, s}, 16);
      EXPECT_NEAR(projected.lower[0], 0., 1e-15);
      EXPECT_NEAR(projected.upper[0], c + s, 1e-15);
      const auto   f = DistributionFunction::from_cells(projected.lower[0], projected.upper[0], projected.values);
      const double h = (c + s) / 16;
      for (unsigned int b = 0; b <= 16; ++b)
        EXPECT_NEAR(f.left_limit(b * h), exact(b * h), 1e-13) << "n = " << n << ", edge " << b;
    }
}

TEST(Wasserstein, SlicedW1OfAShiftedSquare)
{
  // a density and its translate by v: every projection is shifted by <u, v>,
  // so sliced W1 = (1/n) sum_j |cos(phi_j) v_x + sin(phi_j) v_y|, exactly.
  model::ReducedLawSnapshot a, b;
  a.grid                        = unit_square(0., 0., 6);
  b.grid                        = unit_square(0.3, -0.2, 6);
  const unsigned int directions = 12;
  double             expected   = 0.;
  for (unsigned int j = 0; j < directions; ++j)
    expected += std::abs(std::cos(M_PI * j / directions) * 0.3 - std::sin(M_PI * j / directions) * 0.2) / directions;
  EXPECT_NEAR(sliced_wasserstein1(a, b, 2, directions), expected, 1e-12);

  // two point clouds {p} and {p + v}: the same sum
  const auto pa = particle_snapshot({0.1, 0.7}, 2), pb = particle_snapshot({0.4, 0.5}, 2);
  EXPECT_NEAR(sliced_wasserstein1(pa, pb, 2, directions), expected, 1e-14);
}

TEST(Wasserstein, SlicedW1IsTheDirectionalAverage)
{
  // many directions: the average of |<u, v>| over the half circle is 2|v|/pi.
  const auto pa = particle_snapshot({0., 0.}, 2), pb = particle_snapshot({0.6, 0.8}, 2);
  EXPECT_NEAR(sliced_wasserstein1(pa, pb, 2, 2000), 2. / M_PI, 1e-5);
}

TEST(Wasserstein, MarginalsOfAProductDensityIn3D)
{
  // density g(x) h(y) k(z) on [0, 2] x [1, 2] x [-1, 0.5]: the marginals are g, h and k times the others' integrals.
  model::GridDensity        grid{{0., 1., -1.}, {2., 2., 0.5}, {4, 3, 2}, {}};
  const std::vector<double> g = {0.1, 0.2, 0.3, 0.4}, h = {0.5, 1., 1.5}, k = {2., 3.};
  for (unsigned int l = 0; l < 2; ++l)
    for (unsigned int j = 0; j < 3; ++j)
      for (unsigned int i = 0; i < 4; ++i)
        grid.values.push_back(g[i] * h[j] * k[l]);
  const double int_g = 1. * 0.5, int_h = 3. / 3., int_k = 5. * 0.75;
  const auto   m0 = marginal(grid, 0), m1 = marginal(grid, 1), m2 = marginal(grid, 2);
  for (unsigned int i = 0; i < 4; ++i)
    EXPECT_NEAR(m0.values[i], g[i] * int_h * int_k, 1e-14);
  for (unsigned int j = 0; j < 3; ++j)
    EXPECT_NEAR(m1.values[j], h[j] * int_g * int_k, 1e-14);
  for (unsigned int l = 0; l < 2; ++l)
    EXPECT_NEAR(m2.values[l], k[l] * int_g * int_h, 1e-14);
  EXPECT_DOUBLE_EQ(m2.lower[0], -1.);
  EXPECT_DOUBLE_EQ(m2.upper[0], 0.5);
}

TEST(Wasserstein, ProjectionOfABoxIn3DIsExactAtBinEdges)
{
  // A uniform box of sides (1, 0.7, 0.4) onto u: <u, z> is a sum of three
  // uniform variables on [0, |u_k| size_k] (shifted), whatever cells carry it.
  const std::vector<double> size = {1., 0.7, 0.4};
  for (const auto &direction : std::vector<std::vector<double>>{{0.48, -0.6, 0.64}, {-0.2, 0.3, 0.9}})
    {
      const double norm = std::sqrt(direction[0] * direction[0] + direction[1] * direction[1] + direction[2] * direction[2]);
      std::vector<double> u, lengths;
      double              start = 0.;
      for (unsigned int k = 0; k < 3; ++k)
        {
          u.push_back(direction[k] / norm);
          lengths.push_back(std::abs(u[k]) * size[k]);
          start += std::min(0., u[k] * size[k]);
        }
      for (const auto &n : std::vector<std::vector<unsigned int>>{{1, 1, 1}, {5, 3, 4}})
        {
          const auto projected = project(uniform_box({0., 0., 0.}, size, n), u, 24);
          EXPECT_NEAR(projected.lower[0], start, 1e-15);
          EXPECT_NEAR(projected.upper[0], start + lengths[0] + lengths[1] + lengths[2], 1e-15);
          const auto f = DistributionFunction::from_cells(projected.lower[0], projected.upper[0], projected.values);
          const double h = (projected.upper[0] - projected.lower[0]) / 24;
          for (unsigned int b = 0; b <= 24; ++b)
            EXPECT_NEAR(f.left_limit(start + b * h), three_uniforms_cdf(b * h, lengths), 1e-13)
              << "cells " << n[0] << "x" << n[1] << "x" << n[2] << ", edge " << b;
        }
    }
}

TEST(Wasserstein, ProjectionIn3DAlongAlmostAnAxis)
{
  // Directions close to an axis: the law tends to the uniform one of that
  // axis' side, with no cancellation in the small lengths.
  for (const double tiny : {1e-3, 1e-7, 1e-13, 0.})
    {
      const double              norm = std::sqrt(1. + 2. * tiny * tiny);
      const std::vector<double> u    = {tiny / norm, 1. / norm, tiny / norm};
      const auto projected           = project(uniform_box({0., 0., 0.}, {1., 2., 1.}, {3, 4, 5}), u, 16);
      const auto f = DistributionFunction::from_cells(projected.lower[0], projected.upper[0], projected.values);
      for (unsigned int b = 0; b <= 16; ++b)
        {
          const double s = projected.lower[0] + b * (projected.upper[0] - projected.lower[0]) / 16;
          EXPECT_NEAR(f.left_limit(s), std::clamp(s / (2. / norm), 0., 1.), 2. * tiny + 1e-14) << "tiny " << tiny;
        }
    }
}

TEST(Wasserstein, SlicedW1OfAShiftedBoxIn3D)
{
  // a density and its translate by v: sliced W1 = (1/n) sum_j |<u_j, v>|,
  // from grids and from point clouds alike.
  model::ReducedLawSnapshot a, b;
  a.grid                        = uniform_box({0., 0., 0.}, {1., 0.5, 0.8}, {4, 3, 5});
  b.grid                        = uniform_box({0.3, -0.2, 0.1}, {1., 0.5, 0.8}, {4, 3, 5});
  const std::vector<double> v   = {0.3, -0.2, 0.1};
  const unsigned int directions = 10;
  double             expected   = 0.;
  for (const auto &u : sliced_directions(3, directions))
    {
      EXPECT_NEAR(u[0] * u[0] + u[1] * u[1] + u[2] * u[2], 1., 1e-15);
      EXPECT_GT(u[2], 0.);
      expected += std::abs(u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / directions;
    }
  EXPECT_NEAR(sliced_wasserstein1(a, b, 3, directions), expected, 1e-12);

  const auto pa = particle_snapshot({0.1, 0.7, 0.2, 0.5, 0., 1.}, 3);
  const auto pb = particle_snapshot({0.4, 0.5, 0.3, 0.8, -0.2, 1.1}, 3);
  EXPECT_NEAR(sliced_wasserstein1(pa, pb, 3, directions), expected, 1e-14);
}

TEST(Wasserstein, SlicedW1In3DIsTheDirectionalAverage)
{
  // the average of |<u, v>| over the sphere is |v|/2; the Fibonacci points'
  // error for this Lipschitz function falls about like n^(-3/4).
  const auto pa = particle_snapshot({0., 0., 0.}, 3), pb = particle_snapshot({0.48, 0.6, 0.64}, 3);
  const double error_small = std::abs(sliced_wasserstein1(pa, pb, 3, 500) - 0.5);
  const double error_large = std::abs(sliced_wasserstein1(pa, pb, 3, 8000) - 0.5);
  EXPECT_LT(error_large, 1e-4);
  EXPECT_LT(error_large, 0.2 * error_small);
}

TEST(SnapshotMetrics, ThreeCoordinates)
{
  // f(a, r1, r2) = a + 2 r1 - r2 against a shifted cloud: the marginal W1
  // are the shifts, the test-function gap <(1, 2, -1), shift>.
  const auto pa = particle_snapshot({0., 1., 1., 1., 2., 0.5}, 3);
  const auto pb = particle_snapshot({0.1, 1.2, 0.7, 1.1, 2.2, 0.2}, 3);
  const SnapshotMetrics metrics({"a", "r1", "r2"}, TestFunctions({"a + 2*r1 - r2"}, "a,r1,r2", 3, "test"), 6);
  ASSERT_EQ(metrics.names(), (std::vector<std::string>{"risk_gap", "risk_gap_no_self", "w1_a", "w1_r1", "w1_r2",
                                                       "sliced_w1", "test_gap_1"}));
  const auto values = metrics(pa, pb);
  EXPECT_NEAR(values[2], 0.1, 1e-14);
  EXPECT_NEAR(values[3], 0.2, 1e-14);
  EXPECT_NEAR(values[4], 0.3, 1e-14);
  EXPECT_NEAR(values[5], sliced_wasserstein1(pa, pb, 3, 6), 1e-15);
  EXPECT_GT(values[5], 0.05);
  EXPECT_NEAR(values.back(), 0.1 + 0.4 + 0.3, 1e-14);
}

TEST(SnapshotMetrics, RiskGapsW1AndTestFunctions)
{
  // PDE: uniform density on [0, 1]; SGD: N midpoint particles.
  const unsigned int  n = 20;
  auto                pde = grid_snapshot_1d(0., 1., std::vector<double>(50, 1.));
  std::vector<double> x(n);
  for (unsigned int i = 0; i < n; ++i)
    x[i] = (i + 0.5) / n;
  auto sgd             = particle_snapshot(x, 1);
  pde.risk             = 0.30;
  sgd.risk             = 0.32;
  sgd.self_interaction = 0.015;

  const SnapshotMetrics metrics({"r"}, TestFunctions({"r", "min(r, 0.5)"}, "r", 1, "test"), 8);
  ASSERT_EQ(metrics.names(),
            (std::vector<std::string>{"risk_gap", "risk_gap_no_self", "w1", "test_gap_1", "test_gap_2"}));
  const auto values = metrics(pde, sgd);
  EXPECT_NEAR(values[0], 0.02, 1e-15);
  EXPECT_NEAR(values[1], 0.005, 1e-15);
  EXPECT_NEAR(values[2], 0.25 / n, 1e-14);
  // int r: midpoints integrate r exactly on both sides -> 0.
  EXPECT_NEAR(values[3], 0., 1e-14);
  // int min(r, 1/2): exact 3/8; the 50 cell midpoints (0.5 is a cell edge) are
  // exact too; the 20 particles give (1/20)[sum_{i<10} (i+1/2)/20 + 10 * 1/2] = 0.375.
  EXPECT_NEAR(values[4], 0., 1e-14);

  sgd.risk = std::numeric_limits<double>::quiet_NaN();
  const auto without_risk = metrics(pde, sgd);
  EXPECT_TRUE(std::isnan(without_risk[0]) && std::isnan(without_risk[1]));
  EXPECT_TRUE(std::isnan(sup_over_time({without_risk})[0]));
  EXPECT_NEAR(sup_over_time({without_risk, values})[0], 0.02, 1e-15);
}

TEST(SnapshotMetrics, TestFunctionGapAgainstAShiftedLaw)
{
  // f(a, r) = a + 2 r: the gap is <(1, 2), mean shift> for any two laws.
  const auto pa = particle_snapshot({0., 1., 1., 1.}, 2);
  const auto pb = particle_snapshot({0.1, 1.2, 1.1, 1.2}, 2);
  const SnapshotMetrics metrics({"a", "r"}, TestFunctions({"a + 2*r"}, "a,r", 2, "test"), 4);
  ASSERT_EQ(metrics.names(),
            (std::vector<std::string>{"risk_gap", "risk_gap_no_self", "w1_a", "w1_r", "sliced_w1", "test_gap_1"}));
  const auto values = metrics(pa, pb);
  EXPECT_NEAR(values[2], 0.1, 1e-14);
  EXPECT_NEAR(values[3], 0.2, 1e-14);
  EXPECT_NEAR(values.back(), 0.5, 1e-14);
}

TEST(SnapshotMetrics, BadExpressionsAndUnboundedFunctions)
{
  EXPECT_THROW(TestFunctions({"r +"}, "r", 1, "Comparison/Test functions"), io::InputError);
  EXPECT_THROW(TestFunctions({"a*q"}, "a,r", 2, "Comparison/Test functions"), io::InputError);
  EXPECT_THROW(TestFunctions({"a*r"}, "a,r1,r2", 3, "Comparison/Test functions"), io::InputError);
  const TestFunctions f({"1/r"}, "r", 1, "test");
  EXPECT_THROW(f.integral(0, particle_snapshot({0.}, 1)), io::RunError);
  EXPECT_EQ(split_expressions(" r ; min(r, 1);; "), (std::vector<std::string>{"r", "min(r, 1)"}));
}

TEST(Statistics, StudentTInterval)
{
  EXPECT_NEAR(t_quantile_95(1), 12.7062047362, 1e-9);
  EXPECT_NEAR(t_quantile_95(4), 2.7764451052, 1e-9);
  EXPECT_NEAR(t_quantile_95(10), 2.2281388520, 1e-9);
  const auto m = mean_with_interval({1., 2., 3., 4., 5., std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(m.n, 5u);
  EXPECT_DOUBLE_EQ(m.mean, 3.);
  EXPECT_NEAR(m.std_dev, std::sqrt(2.5), 1e-15);
  EXPECT_NEAR(m.half_width, 2.7764451052 * std::sqrt(2.5 / 5.), 1e-9);
  EXPECT_TRUE(std::isnan(mean_with_interval({4.}).half_width));
  EXPECT_DOUBLE_EQ(mean_with_interval({4.}).mean, 4.);
}

TEST(Statistics, PowerLawFitByHand)
{
  // x = 1, 2, 4 and y = 1, 1, 2: slope 1/2, SSR = ln(2)^2/6, S_xx = 2 ln(2)^2,
  // so the half-width is t_{0.975,1} sqrt(1/12).
  const auto fit = fit_power_law({1., 2., 4.}, {1., 1., 2.});
  EXPECT_NEAR(fit.exponent, 0.5, 1e-14);
  EXPECT_NEAR(fit.half_width, 12.7062047362 * std::sqrt(1. / 12.), 1e-8);
  EXPECT_EQ(fit.n_points, 3u);
  // an exact power law: exponent and prefactor recovered, zero width
  const auto exact = fit_power_law({100., 400., 1600., 6400.}, {3. / 10., 3. / 20., 3. / 40., 3. / 80.});
  EXPECT_NEAR(exact.exponent, -0.5, 1e-13);
  EXPECT_NEAR(exact.prefactor, 3., 1e-12);
  EXPECT_NEAR(exact.half_width, 0., 1e-12);
  // too few distinct x, non-positive values skipped
  EXPECT_TRUE(std::isnan(fit_power_law({2., 2., 2.}, {1., 2., 3.}).exponent));
  EXPECT_EQ(fit_power_law({1., 2., 4.}, {1., 0., 2.}).n_points, 2u);
  EXPECT_TRUE(std::isnan(fit_power_law({1., 2., 4.}, {1., 0., 2.}).half_width));
}

TEST(Statistics, PowerLawOfMeansByHand)
{
  // Two seeds at each x = 1, 4: means 1 and 1/2 (slope -1/2 exactly), each
  // with var(log mean) = s^2/(n m^2) = 1/4, so S_xx = 4 * 2 (ln(4)/2)^2 and
  // the half-width is t_{0.975,1} sqrt(1/S_xx).
  const auto two = fit_power_law_of_means({1., 1., 4., 4.}, {0.5, 1.5, 0.25, 0.75});
  EXPECT_NEAR(two.exponent, -0.5, 1e-14);
  EXPECT_NEAR(two.prefactor, 1., 1e-14);
  EXPECT_NEAR(two.half_width, 12.7062047362 / std::sqrt(2. * std::pow(std::log(4.), 2)), 1e-8);
  EXPECT_EQ(two.n_points, 4u);
  // The weights pull the line towards the precise points: at x = 3 the mean
  // 4 is far off the line through the two precise means 1 and 1/4 (slope -1),
  // and its large spread keeps the fit near that slope; unweighted, it is not.
  const std::vector<double> x = {1., 1., 3., 3., 4., 4.}, y = {0.99, 1.01, 0.1, 7.9, 0.2475, 0.2525};
  EXPECT_NEAR(fit_power_law_of_means(x, y).exponent, -1., 2e-3);
  EXPECT_GT(fit_power_law({1., 3., 4.}, {1., 4., 0.25}).exponent, -0.5);
  // One value at some x: unweighted fit of the means, interval from the residuals.
  const auto single = fit_power_law_of_means({1., 2., 4., 4.}, {1., 1., 1., 3.});
  const auto plain  = fit_power_law({1., 2., 4.}, {1., 1., 2.});
  EXPECT_NEAR(single.exponent, plain.exponent, 1e-14);
  EXPECT_NEAR(single.half_width, plain.half_width, 1e-12);
  EXPECT_TRUE(std::isnan(fit_power_law_of_means({2., 2.}, {1., 3.}).exponent));
  // Seeds without spread: exact means, exact slope.
  const auto exact = fit_power_law_of_means({1., 1., 4., 4.}, {1., 1., 0.5, 0.5});
  EXPECT_NEAR(exact.exponent, -0.5, 1e-14);
  EXPECT_EQ(exact.half_width, 0.);
}

TEST(Statistics, CoverageOfTheIntervals)
{
  // Synthetic studies with a known exponent -1/2 and log-normal scatter (as
  // averaged seeds would give): the 95% intervals must cover the truth in
  // 95% of 4000 repetitions; the binomial standard deviation is 0.0034, the
  // window below is about +-4 of them.
  boost::random::mt19937                    rng(20261129);
  boost::random::normal_distribution<double> noise(0., 0.2);
  const std::vector<double>                 widths = {100., 400., 1600., 6400.};
  unsigned int                              covered_fit = 0, covered_mean = 0;
  const unsigned int                        repetitions = 4000;
  for (unsigned int k = 0; k < repetitions; ++k)
    {
      std::vector<double> x, y, sample;
      for (const double n : widths)
        for (unsigned int seed = 0; seed < 3; ++seed)
          {
            x.push_back(n);
            y.push_back(2. * std::pow(n, -0.5) * std::exp(noise(rng)));
          }
      const auto fit = fit_power_law(x, y);
      covered_fit += std::abs(fit.exponent + 0.5) <= fit.half_width;
      for (unsigned int i = 0; i < 4; ++i)
        sample.push_back(1. + noise(rng));
      const auto m = mean_with_interval(sample);
      covered_mean += std::abs(m.mean - 1.) <= m.half_width;
    }
  EXPECT_NEAR(double(covered_fit) / repetitions, 0.95, 0.014);
  EXPECT_NEAR(double(covered_mean) / repetitions, 0.95, 0.014);
}

TEST(Statistics, CoverageOfThePowerLawOfMeans)
{
  // Synthetic studies as a study's N-sweep gives them: 3 widths, 8 seeds, each
  // error |G| N^{-1/2} with G standard normal (a sup dominated by one Gaussian
  // fluctuation). The 95% intervals of the exponent must cover -1/2 in at
  // least 95% of 4000 repetitions (-4 binomial standard deviations) and be
  // no more than mildly conservative (measured: 0.969); the fit to the means
  // is about 1.4x tighter than the fit to every seed's value.
  boost::random::mt19937                     rng(20261130);
  boost::random::normal_distribution<double> gaussian(0., 1.);
  unsigned int                               covered = 0;
  double                                     spread_means = 0., spread_values = 0.;
  const unsigned int                         repetitions = 4000;
  for (unsigned int k = 0; k < repetitions; ++k)
    {
      std::vector<double> x, y;
      for (const double n : {250., 1000., 4000.})
        for (unsigned int seed = 0; seed < 8; ++seed)
          {
            x.push_back(n);
            y.push_back(std::abs(gaussian(rng)) / std::sqrt(n));
          }
      const auto fit = fit_power_law_of_means(x, y);
      covered += std::abs(fit.exponent + 0.5) <= fit.half_width;
      spread_means += std::pow(fit.exponent + 0.5, 2) / repetitions;
      spread_values += std::pow(fit_power_law(x, y).exponent + 0.5, 2) / repetitions;
    }
  std::cout << "coverage " << double(covered) / repetitions << ", rms error of the exponent "
            << std::sqrt(spread_means) << " (means) and " << std::sqrt(spread_values) << " (every value)\n";
  EXPECT_GE(double(covered) / repetitions, 0.95 - 0.014);
  EXPECT_LE(double(covered) / repetitions, 0.985);
  EXPECT_LT(std::sqrt(spread_means), std::sqrt(spread_values) / 1.3);
}

TEST(SeedComparison, TableAndSummaryByHand)
{
  // PDE: uniform on [0, 1] at t = 0 and 1, risk 0.5 then 0.4. Seed A: 4
  // midpoint particles (W1 = 1/16), R_N 0.52, 0.43 with self-interaction
  // 0.01; seed B: 2 midpoint particles (W1 = 1/8), R_N 0.49, 0.41, none.
  model::ReducedLawTrajectory pde, a, b;
  for (const double t : {0., 1.})
    {
      pde.push_back(grid_snapshot_1d(0., 1., std::vector<double>(10, 1.)));
      pde.back().t                   = t;
      pde.back().risk                = t == 0. ? 0.5 : 0.4;
      pde.back().risk_error_estimate = t == 0. ? 1e-4 : 1.8e-3;
      a.push_back(particle_snapshot({0.125, 0.375, 0.625, 0.875}, 1));
      a.back().t                = t;
      a.back().risk             = t == 0. ? 0.52 : 0.43;
      a.back().self_interaction = 0.01;
      b.push_back(particle_snapshot({0.25, 0.75}, 1));
      b.back().t    = t;
      b.back().risk = t == 0. ? 0.49 : 0.41;
    }
  const SnapshotMetrics metrics({"r"}, TestFunctions(), 8);
  const SeedComparison  comparison(metrics, pde, {a, b});
  ASSERT_EQ(comparison.table_columns(),
            (std::vector<std::string>{"t", "risk_pde", "risk_error_estimate", "risk_sgd_mean", "risk_sgd_std",
                                      "self_interaction_mean", "risk_gap", "risk_gap_no_self", "w1"}));
  const auto &row = comparison.table()[0];
  EXPECT_DOUBLE_EQ(row[0], 0.);
  EXPECT_DOUBLE_EQ(row[1], 0.5);
  EXPECT_DOUBLE_EQ(row[2], 1e-4);
  EXPECT_NEAR(row[3], 0.505, 1e-15);
  EXPECT_NEAR(row[4], 0.015 * std::sqrt(2.), 1e-15);
  EXPECT_NEAR(row[5], 0.005, 1e-15);
  EXPECT_NEAR(row[6], 0.015, 1e-15);
  EXPECT_NEAR(row[7], 0.01, 1e-15);
  EXPECT_NEAR(row[8], (1. / 16 + 1. / 8) / 2, 1e-14);
  // sup over t per seed: risk gap 0.03 (A) and 0.01 (B): mean 0.02, half
  // width t_{0.975,1} s / sqrt(2) with s = 0.02/sqrt(2)
  const auto &risk = comparison.sup_statistics()[0];
  EXPECT_NEAR(risk.mean, 0.02, 1e-15);
  EXPECT_NEAR(risk.half_width, 12.7062047362 * 0.01, 1e-9);
  EXPECT_EQ(risk.n, 2u);
  // The PDE's risk error estimate, 1.8e-3 at its sup, is 10x below the risk
  // gap's sup mean 0.02, not below risk_gap_no_self's 0.015; W1 has none.
  EXPECT_DOUBLE_EQ(comparison.pde_error_estimates()[0], 1.8e-3);
  EXPECT_EQ(comparison.resolved(0), "yes");
  EXPECT_EQ(comparison.resolved(1), "no");
  EXPECT_TRUE(std::isnan(comparison.pde_error_estimates()[2]));
  EXPECT_EQ(comparison.resolved(2), "unknown");
}

TEST(SeedComparison, NoRiskErrorEstimateIsUnknown)
{
  // One PDE snapshot without an estimate (PDE/Risk error estimate = false or
  // a mesh file) leaves the risk gaps unknown rather than resolved.
  model::ReducedLawTrajectory pde, a;
  for (const double t : {0., 1.})
    {
      pde.push_back(grid_snapshot_1d(0., 1., std::vector<double>(10, 1.)));
      pde.back().t                   = t;
      pde.back().risk                = 0.5;
      pde.back().risk_error_estimate = t == 0. ? 1e-9 : NAN;
      a.push_back(particle_snapshot({0.25, 0.75}, 1));
      a.back().t    = t;
      a.back().risk = 0.6;
    }
  const SnapshotMetrics metrics({"r"}, TestFunctions(), 8);
  const SeedComparison  comparison(metrics, pde, {a});
  EXPECT_TRUE(std::isnan(comparison.pde_error_estimates()[0]));
  EXPECT_EQ(comparison.resolved(0), "unknown");
}
