// Independent high-accuracy references for the population kernels: the
// defining integrals of doc/theory.md §4 evaluated with Boost.Math adaptive
// Gauss-Kronrod / tanh-sinh quadrature, without any code of src/kernels
// (no bivariate normal CDF, no Price's theorem, no angle substitution, no
// Mehler series). Shared by the kernel tests.
#pragma once

#include "make_problem.h"
#include <mfdd/model/problem.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <cmath>
#include <vector>

namespace reference
{
  using mfdd::test_support::make_problem;

  using boost::math::quadrature::gauss_kronrod;

  inline double
  phi(double z)
  {
    return std::exp(-0.5 * z * z) / std::sqrt(2. * M_PI);
  }

  /// Kinks of sigma (where it or its derivative jumps).
  inline std::vector<double>
  kinks(const mfdd::model::Activation &sigma)
  {
    if (const auto *t = dynamic_cast<const mfdd::model::TruncatedReLU *>(&sigma))
      return {t->t1, t->t2};
    if (sigma.name() == "relu")
      return {0.};
    return {};
  }

  /// int_{-L}^{L} f(z) phi(z) dz (L = 9: the tails are below 1e-18), split at @p cuts.
  template <class F>
  double
  gaussian_integral(const F &f, std::vector<double> cuts, double tol = 1e-11)
  {
    constexpr double L = 9.;
    cuts.push_back(-L);
    cuts.push_back(L);
    std::sort(cuts.begin(), cuts.end());
    double total = 0.;
    for (unsigned int i = 0; i + 1 < cuts.size(); ++i)
      {
        const double a = std::max(cuts[i], -L), b = std::min(cuts[i + 1], L);
        if (b > a)
          total += gauss_kronrod<double, 31>::integrate([&](double z) { return f(z) * phi(z); }, a, b, 10, tol);
      }
    return total;
  }

  enum class Inner
  {
    value,     ///< g = sigma
    derivative ///< g = sigma'
  };

  /// E[g(m + e G)] for g = sigma or sigma': closed form (only erfc) for the
  /// ReLU family, adaptive quadrature for tanh.
  inline double
  smoothed(const mfdd::model::Activation &sigma, Inner which, double m, double e)
  {
    const auto g = [&](double t) { return which == Inner::value ? sigma.value(t) : sigma.derivative(t); };
    if (e <= 0.)
      return g(m);
    // E[(m + e G - t)_+] and P(m + e G > t)
    const auto ramp = [&](double t) {
      const double x = (m - t) / e;
      return e * phi(x) + (m - t) * 0.5 * std::erfc(-x / std::sqrt(2.));
    };
    const auto step = [&](double t) { return 0.5 * std::erfc(-(m - t) / e / std::sqrt(2.)); };
    if (const auto *tr = dynamic_cast<const mfdd::model::TruncatedReLU *>(&sigma))
      return which == Inner::value ? tr->s1 + tr->slope * (ramp(tr->t1) - ramp(tr->t2)) :
                                     tr->slope * (step(tr->t1) - step(tr->t2));
    if (sigma.name() == "relu")
      return which == Inner::value ? ramp(0.) : step(0.);
    std::vector<double> cuts;
    for (const double w : {-2., -0.5, 0., 0.5, 2.})
      cuts.push_back((w - m) / e);
    return gaussian_integral([&](double z) { return g(m + e * z); }, cuts);
  }

  /**
   * E[f(X) g(X')] for X = sx Z1, X' = beta Z1 + e Z2 (Var X' = beta^2 + e^2,
   * Cov = sx beta): outer integral over Z1 split at the kinks of f(sx z) and
   * of the inner expectation's steep region (z = t / beta).
   */
  template <class F>
  double
  pair(const mfdd::model::Activation &sigma, const F &f, Inner g, double sx, double beta, double e)
  {
    std::vector<double> cuts;
    for (const double t : kinks(sigma))
      for (const double scale : {sx, beta})
        if (scale != 0.)
          cuts.push_back(t / scale);
    // near c = +-1 the inner expectation turns from t/beta to the next value over
    // a width e/|beta|: graded cuts there keep the adaptive rule shallow
    if (beta != 0. && e > 0.)
      for (const double t : kinks(sigma))
        for (double width = e / std::abs(beta); width < 1.; width *= 4.)
          for (const double side : {-1., 1.})
            cuts.push_back(t / beta + side * width);
    if (kinks(sigma).empty())
      for (const double scale : {sx, beta})
        if (std::abs(scale) > 0.5)
          for (const double w : {-2., -0.5, 0.5, 2.})
            cuts.push_back(w / std::abs(scale));
    return gaussian_integral([&](double z) { return f(sx * z) * smoothed(sigma, g, beta * z, e); }, cuts, 1e-11);
  }

  /// Integral of h over mu_m, with c = cos theta: mu_m(dc) = sin^{m-2} theta d theta / B(1/2, (m-1)/2)
  /// (removes the endpoint singularities of the weight and of the kernels);
  /// m = 1: c = +-1 with probability 1/2 each.
  template <class H>
  double
  cosine_average(unsigned int m, const H &h)
  {
    if (m == 1)
      return 0.5 * (h(-1.) + h(1.));
    const double norm   = boost::math::beta(0.5, 0.5 * (m - 1.));
    const auto   weight = [&](double theta) { return h(std::cos(theta)) * std::pow(std::sin(theta), m - 2.) / norm; };
    // the weight concentrates on |theta - pi/2| <~ 9/sqrt(m): cut there so that GK resolves it
    std::vector<double> cuts = {0., M_PI};
    const double        w    = std::min(0.5, 1.5 / std::sqrt(double(m)));
    for (double x = w; x < 0.5 * M_PI; x += w)
      {
        cuts.push_back(0.5 * M_PI + x);
        cuts.push_back(0.5 * M_PI - x);
      }
    cuts.push_back(0.5 * M_PI);
    std::sort(cuts.begin(), cuts.end());
    double total = 0.;
    for (unsigned int i = 0; i + 1 < cuts.size(); ++i)
      total += gauss_kronrod<double, 31>::integrate(weight, cuts[i], cuts[i + 1], 10, 1e-11);
    return total;
  }

  /// v-bar(radii) = -E[y sigma(<w, x>)] = -1/2 q(s_+) + 1/2 q(s_-).
  inline double
  v_bar(const mfdd::model::Problem &problem, const std::vector<double> &r)
  {
    const auto &sigma = *problem.activation;
    double      v     = 0.;
    for (const bool plus : {true, false})
      {
        double var = 0.;
        for (unsigned int b = 0; b < r.size(); ++b)
          var += std::pow(problem.data.blocks()[b].std_for(plus) * r[b], 2);
        const double s = std::sqrt(var);
        std::vector<double> cuts;
        for (const double t : kinks(sigma))
          cuts.push_back(t / s);
        v += (plus ? -0.5 : 0.5) * gaussian_integral([&](double z) { return sigma.value(s * z); }, cuts);
      }
    return v;
  }

  /// d v-bar / d r_b, differentiated under the integral: E[sigma'(s G) G] ds/dr_b.
  inline double
  v_bar_derivative(const mfdd::model::Problem &problem, const std::vector<double> &r, unsigned int block)
  {
    const auto &sigma = *problem.activation;
    double      v     = 0.;
    for (const bool plus : {true, false})
      {
        double var = 0.;
        for (unsigned int b = 0; b < r.size(); ++b)
          var += std::pow(problem.data.blocks()[b].std_for(plus) * r[b], 2);
        const double s  = std::sqrt(var);
        const double sb = problem.data.blocks()[block].std_for(plus);
        std::vector<double> cuts;
        for (const double t : kinks(sigma))
          cuts.push_back(t / s);
        v += (plus ? -0.5 : 0.5) * sb * sb * r[block] / s *
             gaussian_integral([&](double z) { return z * sigma.derivative(s * z); }, cuts);
      }
    return v;
  }

  /**
   * u(radii, radii', cosines) = 1/2 sum_+- E[sigma(X) sigma(X')] at given block
   * cosines (the pair kernel of two actual vectors), or its derivative in the
   * radius of block @p derivative_block (differentiated under the integral:
   * d/dr_b E[sigma(X) sigma(X')] = E[sigma'(X) dX/dr_b sigma(X')]) if that is
   * not negative.
   */
  inline double
  u_pair(const mfdd::model::Problem &problem,
         const std::vector<double>  &r,
         const std::vector<double>  &rp,
         const std::vector<double>  &c,
         int                         derivative_block = -1)
  {
    const auto &sigma = *problem.activation;
    double      u     = 0.;
    for (const bool plus : {true, false})
      {
        // X = sum_b s_b r_b A_b, X' = sum_b s_b r'_b (c_b A_b + sqrt(1-c_b^2) B_b)
        double var = 0., varp = 0., cov = 0.;
        for (unsigned int b = 0; b < r.size(); ++b)
          {
            const double s2 = std::pow(problem.data.blocks()[b].std_for(plus), 2);
            var += s2 * r[b] * r[b];
            varp += s2 * rp[b] * rp[b];
            cov += s2 * r[b] * rp[b] * c[b];
          }
        const double sx = std::sqrt(var), beta = cov / sx, e = std::sqrt(std::max(varp - beta * beta, 0.));
        const auto value = [&](double t) { return sigma.value(t); };
        if (derivative_block < 0)
          {
            u += 0.5 * pair(sigma, value, Inner::value, sx, beta, e);
            continue;
          }
        // dX/dr_b = s_b A_b. Regress A_b on (Z1, Z2), X = sx Z1, X' = beta Z1 + e Z2:
        // Cov(A_b, X) = s_b r_b, Cov(A_b, X') = s_b r'_b c_b, so A_b = k1 Z1 + k2 Z2 + independent
        // with k1 = s_b r_b / sx and k2 e = s_b r'_b c_b - beta k1.
        const unsigned int b   = derivative_block;
        const double       sb  = problem.data.blocks()[b].std_for(plus);
        const double       k1  = sb * r[b] / sx;
        const double       k2e = sb * rp[b] * c[b] - beta * k1;
        const auto derivative  = [&](double t) { return sigma.derivative(t); };
        // E[sigma'(X) Z1 sigma(X')] and, by Stein in Z2, E[sigma'(X) Z2 sigma(X')] = e E[sigma'(X) sigma'(X')]
        const double part1 = pair(sigma, [&](double t) { return derivative(t) * t / sx; }, Inner::value, sx, beta, e);
        const double part2 = pair(sigma, derivative, Inner::derivative, sx, beta, e);
        u += 0.5 * sb * (k1 * part1 + k2e * part2);
      }
    return u;
  }

  /// u-bar: u_pair averaged over independent block cosines c_b ~ mu_{m_b}.
  inline double
  u_bar(const mfdd::model::Problem &problem,
        const std::vector<double>  &r,
        const std::vector<double>  &rp,
        int                         derivative_block = -1)
  {
    const auto &blocks = problem.data.blocks();
    if (blocks.size() == 1)
      return cosine_average(blocks[0].size,
                            [&](double c) { return u_pair(problem, r, rp, {c}, derivative_block); });
    return cosine_average(blocks[0].size, [&](double c0) {
      return cosine_average(blocks[1].size,
                            [&](double c1) { return u_pair(problem, r, rp, {c0, c1}, derivative_block); });
    });
  }
} // namespace reference
