// PopulationKernels (v-bar, u-bar and their gradients, exact finite-d kernel)
// against the independent quadrature references of kernel_reference.h, on a
// grid of radii from 1e-3 to 5, for d in {2, 3, 10, 40, 400}. Tolerance:
// 1e-8 relative (the target) plus an absolute 1e-11 (the references' own accuracy: adaptive
// Gauss-Kronrod requested at 1e-11 relative to the integrand's L1 norm).
#include <mfdd/kernels/population_kernels.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "kernel_reference.h"

using namespace mfdd;

namespace
{
  constexpr double relative_tolerance = 1e-8;
  constexpr double absolute_floor     = 1e-11;

  void
  expect_close(double value, double ref, const std::string &what)
  {
    EXPECT_NEAR(value, ref, relative_tolerance * std::abs(ref) + absolute_floor) << what;
  }

  std::string
  describe(const model::Problem &problem, const std::vector<double> &z, const std::vector<double> &zp)
  {
    std::string s = problem.activation->name() + ", d = " + std::to_string(problem.d) + ", z = (";
    for (const double x : z)
      s += std::to_string(x) + " ";
    s += "), z' = (";
    for (const double x : zp)
      s += std::to_string(x) + " ";
    return s + ")";
  }

  /// Checks V, grad V, U, grad_z U at (z, z') against the references (radius coordinates only, a = 1).
  void
  check_radii(const model::Problem &problem, const std::vector<double> &r, const std::vector<double> &rp)
  {
    const kernels::PopulationKernels kernels(problem);
    const unsigned int               n = r.size();
    std::vector<double>              grad(n);
    const std::string                what = describe(problem, r, rp);

    const double v = kernels.V_and_gradient(r.data(), grad.data());
    expect_close(v, reference::v_bar(problem, r), "v-bar, " + what);
    for (unsigned int b = 0; b < n; ++b)
      expect_close(grad[b], reference::v_bar_derivative(problem, r, b), "d v-bar/dr" + std::to_string(b) + ", " + what);

    const double u = kernels.U_and_gradient(r.data(), rp.data(), grad.data());
    expect_close(u, reference::u_bar(problem, r, rp), "u-bar, " + what);
    expect_close(kernels.U(r.data(), rp.data()), u, "U without gradient, " + what);
    for (unsigned int b = 0; b < n; ++b)
      expect_close(grad[b], reference::u_bar(problem, r, rp, b), "d u-bar/dr" + std::to_string(b) + ", " + what);
  }

  /// The full grid (ctest test_kernels_reference_full, label slow) when
  /// MFDD_KERNELS_FULL is set, a representative part of it otherwise.
  bool
  full_grid()
  {
    return std::getenv("MFDD_KERNELS_FULL") != nullptr;
  }

  std::vector<std::pair<double, double>>
  radius_pairs()
  {
    if (full_grid())
      return {{1e-3, 1e-3}, {1e-3, 1.2}, {0.3, 5.}, {1.2, 1.2}, {1.2, 0.7}, {5., 5.}, {5., 1e-3}};
    return {{1e-3, 1.2}, {0.7, 1.2}, {5., 4.}};
  }
} // namespace

class IsotropicKernels : public ::testing::TestWithParam<std::tuple<std::string, unsigned int>>
{};

TEST_P(IsotropicKernels, MatchIndependentQuadrature)
{
  const auto [activation, d] = GetParam();
  const auto problem         = reference::make_problem({{"Activation", activation}, {"Dimension d", std::to_string(d)}});
  for (const auto &[r, rp] : radius_pairs())
    check_radii(problem, {r}, {rp});
}

INSTANTIATE_TEST_SUITE_P(ReLUFamily,
                         IsotropicKernels,
                         ::testing::Combine(::testing::Values("truncated relu", "relu"),
                                            ::testing::Values(2u, 3u, 10u, 40u, 400u)));

// tanh has no closed form: its expectations are composite Gauss-Legendre
// quadratures (src/kernels), checked here at the same 1e-8.
// The reference nests adaptive quadratures in both Gaussian variables (minutes):
// full run only; the default run checks tanh's pair expectations in
// test_kernels_expectations.
TEST(TanhKernels, MatchIndependentQuadrature)
{
  if (!full_grid())
    GTEST_SKIP() << "set MFDD_KERNELS_FULL (ctest -R test_kernels_reference_full)";
  for (const unsigned int d : {3u, 40u})
    {
      const auto problem = reference::make_problem({{"Activation", "tanh"}, {"Dimension d", std::to_string(d)}});
      for (const auto &[r, rp] : std::vector<std::pair<double, double>>{{1e-3, 1.2}, {0.7, 5.}})
        check_radii(problem, {r}, {rp});
    }
}

TEST(TrainableKernels, FactoriseInTheAmplitude)
{
  for (const std::string activation : {"truncated relu", "relu"})
    for (const unsigned int d : {3u, 40u})
      {
        const auto problem = reference::make_problem(
          {{"Activation", activation}, {"Dimension d", std::to_string(d)}, {"Second layer", "trainable"}});
        const kernels::PopulationKernels kernels(problem);
        const std::vector<double>        z = {-0.7, 1.3}, zp = {1.6, 0.4};
        std::vector<double>              grad(2);
        const double                     v_ref = reference::v_bar(problem, {z[1]});
        expect_close(kernels.V_and_gradient(z.data(), grad.data()), z[0] * v_ref, "V trainable");
        expect_close(grad[0], v_ref, "dV/da");
        expect_close(grad[1], z[0] * reference::v_bar_derivative(problem, {z[1]}, 0), "dV/dr");
        const double u_ref = reference::u_bar(problem, {z[1]}, {zp[1]});
        expect_close(kernels.U_and_gradient(z.data(), zp.data(), grad.data()), z[0] * zp[0] * u_ref, "U trainable");
        expect_close(grad[0], zp[0] * u_ref, "dU/da");
        expect_close(grad[1], z[0] * zp[0] * reference::u_bar(problem, {z[1]}, {zp[1]}, 0), "dU/dr");
      }
}

// Two blocks (s0 = 1 and s0 = d/2): the reference nests two adaptive angular
// integrals (minutes per case), so the default run checks d = 10, s0 = 1 only.
TEST(AnisotropicKernels, MatchIndependentQuadrature)
{
  for (const std::string activation : {"truncated relu", "relu"})
    for (const auto &[d, s0] : std::vector<std::pair<unsigned int, unsigned int>>{{10, 1}, {10, 5}, {40, 20}})
      {
        // default run: s0 = 1 (the outer average has two points)
        if (!full_grid() && (activation != "truncated relu" || s0 != 1))
          continue;
        const auto problem = reference::make_problem({{"Activation", activation},
                                                      {"Data model", "anisotropic"},
                                                      {"Dimension d", std::to_string(d)},
                                                      {"Signal block size s0", std::to_string(s0)}});
        check_radii(problem, {0.9, 0.4}, {1.3, 0.8});
      }
}
