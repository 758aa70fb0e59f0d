// Building blocks of the kernels and their limits: the bivariate normal CDF,
// the pair expectation and its derivatives at degenerate and near-degenerate
// correlations and small scales, Mehler's series against the closed form, the
// 1/d rate of the large-d kernel, and the worked example of doc/theory.md §4: R(rho-bar_0).
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/population_kernels.h>

#include <gtest/gtest.h>
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "kernel_reference.h"

using namespace mfdd;

TEST(GaussianExpectations, BivariateNormalAgainstOneDimensionalIntegral)
{
  for (const double rho : {-1., -0.999999, -0.95, -0.5, -0.1, 0., 0.2, 0.6, 0.9, 0.99, 0.9999999, 1.})
    for (const double h : {-2.3, -0.4, 0., 0.7, 3.})
      for (const double k : {-1.1, 0., 0.5, 2.5})
        {
          // P(G1 > h, G2 > k) = int_h^inf phi(z) P(G2 > k | G1 = z) dz
          double reference_value;
          if (std::abs(rho) == 1.)
            reference_value = rho > 0. ? 0.5 * std::erfc(std::max(h, k) / std::sqrt(2.)) :
                                         std::max(0., 0.5 * std::erfc(h / std::sqrt(2.)) - 0.5 * std::erfc(-k / std::sqrt(2.)));
          else
            {
              // the conditional probability steps at z = k / rho over a width s / |rho|: graded cuts
              const double        s    = std::sqrt(1. - rho * rho);
              std::vector<double> cuts = {h};
              if (rho != 0.)
                for (double width = s / std::abs(rho); width < 1.; width *= 4.)
                  for (const double side : {-1., 1.})
                    cuts.push_back(k / rho + side * width);
              reference_value = reference::gaussian_integral(
                [&](double z) { return z > h ? 0.5 * std::erfc((k - rho * z) / s / std::sqrt(2.)) : 0.; }, cuts);
            }
          EXPECT_NEAR(kernels::bivariate_normal_upper(h, k, rho), reference_value, 1e-11)
            << "h " << h << " k " << k << " rho " << rho;
        }
}

TEST(GaussianExpectations, PairNearDegenerateAndSmallScales)
{
  for (const std::string name : {"truncated relu", "relu", "tanh"})
    {
      const auto problem      = reference::make_problem({{"Activation", name}});
      const auto expectations = kernels::GaussianExpectations::create(*problem.activation);
      const auto &sigma       = *problem.activation;
      for (const double sx : {1e-3, 0.8, 4.})
        for (const double sxp : {2e-3, 1.5})
          for (const double rho : {-1., -1. + 1e-13, -0.3, 0.5, 1. - 1e-9, 1. - 1e-15, 1.})
            {
              // absolute floor 1e-10: at rho = -1 + 1e-13 the rounding of rho itself
              // (relative 1e-3 in 1 + rho) moves P(X > 0, X' > 0) ~ sqrt(1 + rho) by ~4e-11
              const double C    = rho * sx * sxp;
              const double beta = C / sx, e = sxp * std::sqrt(std::max(0., (1. - rho) * (1. + rho)));
              const auto   value = [&](double t) { return sigma.value(t); };
              const double ref   = reference::pair(sigma, value, reference::Inner::value, sx, beta, e);
              const auto   P     = expectations->pair_with_derivatives(sx, sxp, C);
              EXPECT_NEAR(P.value, ref, 1e-9 * std::abs(ref) + 1e-10) << name << " " << sx << " " << sxp << " " << rho;
              // d/dC = E[sigma'(X) sigma'(X')]
              const auto   derivative = [&](double t) { return sigma.derivative(t); };
              const double ref_dC     = reference::pair(sigma, derivative, reference::Inner::derivative, sx, beta, e);
              EXPECT_NEAR(P.d_C, ref_dC, 1e-9 * std::abs(ref_dC) + 1e-10) << name << " " << sx << " " << sxp << " " << rho;
              EXPECT_NEAR(expectations->mixed_pair(sx, sxp, C),
                          reference::pair(sigma, value, reference::Inner::derivative, sx, beta, e), 1e-9)
                << name;
            }
      // the derivative in sx at fixed C against a central difference (|rho| < 1)
      for (const double rho : {-0.6, 0.3, 0.9})
        {
          const double sx = 1.1, sxp = 0.9, C = rho * sx * sxp, h = 1e-5;
          const double fd = (expectations->pair(sx + h, sxp, C) - expectations->pair(sx - h, sxp, C)) / (2. * h);
          EXPECT_NEAR(expectations->pair_with_derivatives(sx, sxp, C).d_sx, fd, 1e-7) << name << " rho " << rho;
        }
      // q, q' and the second moment
      for (const double s : {0., 1e-3, 0.6, 3.})
        {
          std::vector<double> cuts;
          for (const double t : reference::kinks(sigma))
            cuts.push_back(s > 0. ? t / s : 0.);
          const double q_ref = reference::gaussian_integral([&](double z) { return sigma.value(s * z); }, cuts);
          const double m_ref = reference::gaussian_integral([&](double z) { return std::pow(sigma.value(s * z), 2); }, cuts);
          EXPECT_NEAR(expectations->q(s), q_ref, 1e-10) << name << " s " << s;
          EXPECT_NEAR(expectations->second_moment(s), m_ref, 1e-10) << name << " s " << s;
          if (s > 0.)
            {
              const double dq_ref =
                reference::gaussian_integral([&](double z) { return z * sigma.derivative(s * z); }, cuts);
              EXPECT_NEAR(expectations->dq(s), dq_ref, 1e-10) << name << " s " << s;
            }
        }
    }
  // ReLU: q(s) = s / sqrt(2 pi), q'(0) = 1/sqrt(2 pi)
  const auto relu = kernels::GaussianExpectations::create(model::ReLU());
  EXPECT_NEAR(relu->q(2.), 2. / std::sqrt(2. * M_PI), 1e-15);
  EXPECT_NEAR(relu->dq(0.), 1. / std::sqrt(2. * M_PI), 1e-15);
}

TEST(GaussianExpectations, MehlerSeriesMatchesClosedForm)
{
  for (const std::string name : {"truncated relu", "relu", "tanh"})
    {
      const auto         problem      = reference::make_problem({{"Activation", name}});
      const auto         expectations = kernels::GaussianExpectations::create(*problem.activation);
      const unsigned int n            = 200;
      std::vector<double> a(n), ap(n);
      for (const double sx : {0.3, 1.7})
        for (const double sxp : {0.9, 5.})
          {
            expectations->hermite_coefficients(sx, n, a.data());
            expectations->hermite_coefficients(sxp, n, ap.data());
            EXPECT_NEAR(a[0], expectations->q(sx), 1e-12);
            for (const double rho : {-0.5, 0.1, 0.4})
              {
                double series = 0.;
                for (unsigned int k = n; k-- > 0;)
                  series = series * rho + a[k] * ap[k];
                // tail after 200 terms: at most 0.5^200 sqrt(E sigma^2 E sigma'^2)
                EXPECT_NEAR(series, expectations->pair(sx, sxp, rho * sx * sxp), 1e-11) << name << " rho " << rho;
              }
          }
    }
}

// |u-bar_exact - u-bar_large-d| = a_2 a_2' / d + O(1/d^2): error * d tends to a constant.
TEST(LargeDimension, KernelErrorDecaysLikeOneOverD)
{
  for (const std::string name : {"truncated relu", "relu"})
    for (const bool anisotropic : {false, true})
      {
        std::vector<double> error_times_d;
        for (const unsigned int d : {40u, 160u, 640u})
          {
            std::vector<std::pair<std::string, std::string>> common = {{"Activation", name},
                                                                       {"Dimension d", std::to_string(d)}};
            if (anisotropic)
              {
                common.push_back({"Data model", "anisotropic"});
                common.push_back({"Signal block size s0", std::to_string(d / 2)});
              }
            auto exact_settings = common, large_settings = common;
            large_settings.push_back({"Kernel", "large d"});
            const auto                       exact_problem = reference::make_problem(exact_settings);
            const auto                       large_problem = reference::make_problem(large_settings);
            const kernels::PopulationKernels exact(exact_problem), large(large_problem);
            const std::vector<double> z = anisotropic ? std::vector<double>{1.1, 0.6} : std::vector<double>{1.1};
            const std::vector<double> zp = anisotropic ? std::vector<double>{1.4, 0.9} : std::vector<double>{1.6};
            error_times_d.push_back(std::abs(exact.U(z.data(), zp.data()) - large.U(z.data(), zp.data())) * d);
          }
        for (unsigned int i = 0; i + 1 < error_times_d.size(); ++i)
          {
            const double ratio = error_times_d[i + 1] / error_times_d[i];
            EXPECT_GT(ratio, 0.7) << name << (anisotropic ? " anisotropic" : "");
            EXPECT_LT(ratio, 1.4) << name << (anisotropic ? " anisotropic" : "");
          }
        EXPECT_GT(error_times_d[0], 1e-4); // the error is there to be measured
      }
}

// doc/theory.md §4: isotropic, truncated ReLU (-2.5, 7.5, 0.5, 1.5), Delta = 0.5,
// large-d kernel, kappa = 0.8: R(rho-bar_0) ~ 1.876 (4 digits quoted).
TEST(WorkedExample, InitialRisk)
{
  const auto problem = reference::make_problem({{"Kernel", "large d"}, {"Initial kappa", "0.8"}, {"Delta", "0.5"}});
  const kernels::PopulationKernels kernels(problem);
  const auto coarse = model::initial_law_quadrature(problem.reduced_setting(), 40);
  const auto fine   = model::initial_law_quadrature(problem.reduced_setting(), 80);
  const double risk = kernels.risk(fine.points, fine.weights);
  EXPECT_NEAR(risk, 1.876, 5e-4);
  EXPECT_NEAR(kernels.risk(coarse.points, coarse.weights), risk, 1e-9);
}

// The exact kernel's two independent routes: Mehler's series (up to 1024
// terms, stopped by its tail bound) against the tensor product of angular
// rules with the closed-form pair expectation, where the series needs many
// terms: blocks of 3 to 10 coordinates, radii on or near the same ray (|rho|
// near 1), tiny radii. U_table must give the same numbers as U to rounding.
TEST(ExactKernel, LongMehlerSeriesMatchesAngularQuadrature)
{
  for (const auto &[activation, d, s0] : std::vector<std::tuple<std::string, unsigned int, unsigned int>>{
         {"truncated relu", 40, 10}, {"truncated relu", 20, 5}, {"relu", 13, 3}, {"truncated relu", 6, 0}})
    {
      const bool two_blocks = s0 > 0;
      auto       settings   = std::vector<std::pair<std::string, std::string>>{{"Activation", activation},
                                                                       {"Dimension d", std::to_string(d)}};
      if (two_blocks)
        {
          settings.push_back({"Data model", "anisotropic"});
          settings.push_back({"Signal block size s0", std::to_string(s0)});
        }
      const auto                       problem = reference::make_problem(settings);
      const kernels::PopulationKernels series(problem), quadrature(problem, 0);
      std::vector<std::vector<double>> points;
      for (const double r1 : {1e-3, 0.3, 1.1, 2.4})
        for (const double r2 : {0., 1e-3, 0.05, 1.1})
          if (two_blocks)
            points.push_back({r1, r2});
          else if (r2 == 0.)
            points.push_back({r1});
      std::vector<double> flat;
      for (const auto &z : points)
        flat.insert(flat.end(), z.begin(), z.end());
      const auto         table = series.U_table(flat);
      const unsigned int n     = points.size();
      for (unsigned int i = 0; i < n; ++i)
        for (unsigned int j = 0; j < n; ++j)
          {
            const double reference_value = quadrature.U(points[i].data(), points[j].data());
            const double value           = series.U(points[i].data(), points[j].data());
            const std::string what = activation + ", d = " + std::to_string(d) + ", s0 = " + std::to_string(s0) +
                                     ", pair " + std::to_string(i) + ", " + std::to_string(j);
            EXPECT_NEAR(value, reference_value, 1e-11 * std::abs(reference_value) + 1e-14) << what;
            // the table's quadrature uses the series at the nodes where it converges
            EXPECT_NEAR(table[i * n + j], value, 1e-13 * std::abs(value) + 1e-15) << what;
          }
    }
}
