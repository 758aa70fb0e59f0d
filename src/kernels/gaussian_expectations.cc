#include <mfdd/kernels/gaussian_expectations.h>

#include <deal.II/base/quadrature_lib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace mfdd::kernels
{
  namespace
  {
    constexpr double inv_sqrt_2pi = 0.3989422804014326779;
    constexpr double min_std      = 1e-100;
  } // namespace

  namespace
  {
    /**
     * sigma(t) = c0 + sum_j k_j (t - t_j)_+ : ReLU (c0 = 0, one kink at 0) and
     * the truncated ReLU (c0 = s1, kinks t1 (+slope), t2 (-slope)). Every
     * expectation is in closed form, with the bivariate normal CDF for pairs.
     */
    class PiecewiseLinearExpectations : public GaussianExpectations
    {
    public:
      PiecewiseLinearExpectations(double c0, std::vector<double> kinks, std::vector<double> jumps)
        : c0(c0)
        , t(std::move(kinks))
        , k(std::move(jumps))
      {}

      double
      q(double s) const override
      {
        double value = c0;
        for (unsigned int j = 0; j < t.size(); ++j)
          value += k[j] * ramp_mean(0., s, t[j]);
        return value;
      }

      double
      dq(double s) const override
      {
        double value = 0.;
        for (unsigned int j = 0; j < t.size(); ++j)
          value += k[j] * (s > 0. ? normal_pdf(t[j] / s) : (t[j] == 0. ? inv_sqrt_2pi : 0.));
        return value;
      }

      void
      hermite_coefficients(double s, unsigned int n, double *a) const override
      {
        // Gaussian integration by parts: E[f(G) He_k(G)] = E[f''(G) He_{k-2}(G)] with
        // f(z) = sigma(s z), f'' = s sum_j k_j delta(z - t_j/s).
        if (n > 0)
          a[0] = q(s);
        if (n > 1)
          {
            a[1] = 0.;
            for (unsigned int j = 0; j < t.size(); ++j)
              a[1] += s * k[j] * (s > 0. ? normal_upper_tail(t[j] / s) : (t[j] <= 0. ? 1. : 0.));
          }
        for (unsigned int i = 2; i < n; ++i)
          a[i] = 0.;
        if (s <= 0.)
          return;
        for (unsigned int j = 0; j < t.size(); ++j)
          {
            const double h = t[j] / s, density = normal_pdf(h);
            if (density == 0.)
              continue;
            // normalised Hermite polynomials He_m(h) / sqrt(m!)
            double previous = 0., current = 1.;
            for (unsigned int i = 2; i < n; ++i)
              {
                a[i] += s * k[j] * density * current / std::sqrt(double(i) * (i - 1.));
                const double m    = i - 2;
                const double next = (h * current - std::sqrt(m) * previous) / std::sqrt(m + 1.);
                previous          = current;
                current           = next;
              }
          }
      }

      unsigned int
      accurate_hermite_coefficients() const override
      {
        return std::numeric_limits<unsigned int>::max();
      }

      double
      relative_accuracy() const override
      {
        // Genz's bivariate normal CDF: about 1e-15 absolute
        return 1e-15;
      }

      double
      pair(double sx, double sxp, double C) const override
      {
        const Bivariate g(sx, sxp, C);
        double          value = c0 * c0;
        for (unsigned int j = 0; j < t.size(); ++j)
          value += c0 * k[j] * (ramp_mean(0., sx, t[j]) + ramp_mean(0., sxp, t[j]));
        for (unsigned int i = 0; i < t.size(); ++i)
          for (unsigned int j = 0; j < t.size(); ++j)
            value += k[i] * k[j] * g.ramp_ramp(t[i], t[j]);
        return value;
      }

      PairWithDerivatives
      pair_with_derivatives(double sx, double sxp, double C) const override
      {
        sx  = std::max(sx, min_std);
        sxp = std::max(sxp, min_std);
        PairWithDerivatives result;
        result.value = pair(sx, sxp, C);
        result.d_C   = derivative_pair(sx, sxp, C);
        result.d_sx  = std_derivative(sx, sxp, C);
        result.d_sxp = std_derivative(sxp, sx, C);
        return result;
      }

      double
      derivative_pair(double sx, double sxp, double C) const override
      {
        const Bivariate g(sx, sxp, C);
        double          value = 0.;
        for (unsigned int i = 0; i < t.size(); ++i)
          for (unsigned int j = 0; j < t.size(); ++j)
            value += k[i] * k[j] * g.step_step(t[i], t[j]);
        return value;
      }

      double
      mixed_pair(double sx, double sxp, double C) const override
      {
        const Bivariate g(sx, sxp, C);
        double          value = 0.;
        for (unsigned int j = 0; j < t.size(); ++j)
          value += c0 * k[j] * g.step_step(-INFINITY, t[j]);
        for (unsigned int i = 0; i < t.size(); ++i)
          for (unsigned int j = 0; j < t.size(); ++j)
            value += k[i] * k[j] * g.ramp_step(t[i], t[j]);
        return value;
      }

    private:
      /// E[(mu + s G - t)_+]
      static double
      ramp_mean(double mu, double s, double t)
      {
        const double m = mu - t;
        if (s <= 0.)
          return std::max(m, 0.);
        return s * normal_pdf(m / s) + m * normal_cdf(m / s);
      }

      /// sx E[sigma''(X) sigma(X')] = sum_j k_j phi(t_j/sx) E[sigma(X') | X = t_j]
      double
      std_derivative(double sx, double sxp, double C) const
      {
        const double beta = C / (sx * sx);
        const double e    = std::sqrt(std::max(sxp * sxp - C * beta, 0.));
        double       value = 0.;
        for (unsigned int j = 0; j < t.size(); ++j)
          {
            const double density = normal_pdf(t[j] / sx);
            if (density == 0.)
              continue;
            double conditional = c0;
            for (unsigned int i = 0; i < t.size(); ++i)
              conditional += k[i] * ramp_mean(beta * t[j], e, t[i]);
            value += k[j] * density * conditional;
          }
        return value;
      }

      /**
       * Expectations of ramps (X - a)_+ and steps 1{X > a} of a centred
       * Gaussian pair (X, X'). Non-degenerate pairs use the truncated
       * bivariate normal moments (Rosenbaum 1961); degenerate ones (a zero
       * standard deviation or |rho| = 1) integrate exactly in one variable.
       */
      class Bivariate
      {
      public:
        Bivariate(double sx, double sxp, double C)
          : sx(sx)
          , sxp(sxp)
        {
          const double product = sx * sxp;
          rho                  = product > 0. ? std::clamp(C / product, -1., 1.) : 0.;
          // Ramps move like (1 - |rho|) near |rho| = 1 (their derivative in C is
          // bounded), and the closed form loses digits to cancellation of O(sqrt(1 - rho^2))
          // terms there, so they are taken degenerate below 1e-12. Steps move like
          // sqrt(1 - |rho|): only |rho| = 1 exactly is degenerate for them.
          degenerate       = product == 0. || 1. - std::abs(rho) < 1e-12;
          degenerate_steps = product == 0. || std::abs(rho) >= 1.;
          s                    = std::sqrt((1. - rho) * (1. + rho));
          // degenerate: X = alpha Z, X' = beta Z
          alpha = sx;
          beta  = sx > 0. ? (rho >= 0. ? 1. : -1.) * sxp : sxp;
          if (product == 0.)
            beta = sxp;
        }

        double
        ramp_ramp(double a, double b) const
        {
          if (degenerate)
            return degenerate_integral(a, b, true, true);
          const Moments m(*this, a / sx, b / sxp);
          return sx * sxp * (m.E12 - m.k * m.E1 - m.h * m.E2 + m.h * m.k * m.L);
        }
        double
        ramp_step(double a, double b) const
        {
          if (degenerate)
            return degenerate_integral(a, b, true, false);
          const Moments m(*this, a / sx, b / sxp);
          return sx * (m.E1 - m.h * m.L);
        }
        double
        step_step(double a, double b) const
        {
          if (degenerate_steps)
            return degenerate_integral(a, b, false, false);
          return bivariate_normal_upper(a / sx, b / sxp, rho);
        }

      private:
        struct Moments
        {
          Moments(const Bivariate &g, double h, double k)
            : h(h)
            , k(k)
          {
            L                   = bivariate_normal_upper(h, k, g.rho);
            const double ph     = std::isinf(h) ? 0. : normal_pdf(h);
            const double pk     = std::isinf(k) ? 0. : normal_pdf(k);
            const double zk     = std::isinf(h) ? -INFINITY : (k - g.rho * h) / g.s;
            const double zh     = std::isinf(k) ? -INFINITY : (h - g.rho * k) / g.s;
            const double Qk     = normal_upper_tail(zk);
            const double Qh     = normal_upper_tail(zh);
            E1                  = ph * Qk + g.rho * pk * Qh;
            E2                  = pk * Qh + g.rho * ph * Qk;
            const double hph    = std::isinf(h) ? 0. : h * ph;
            const double kpk    = std::isinf(k) ? 0. : k * pk;
            const double corner = std::isinf(zk) ? 0. : g.s * ph * normal_pdf(zk);
            E12                 = g.rho * L + g.rho * hph * Qk + g.rho * kpk * Qh + corner;
          }
          double h, k, L, E1, E2, E12;
        };

        /// E[f(alpha Z) g(beta Z)] with f, g ramps (or steps) at a, b: exact
        /// piecewise-polynomial Gaussian integration.
        double
        degenerate_integral(double a, double b, bool f_ramp, bool g_ramp) const
        {
          std::vector<double> cuts = {-INFINITY, INFINITY};
          if (alpha != 0. && std::isfinite(a))
            cuts.push_back(a / alpha);
          if (beta != 0. && std::isfinite(b))
            cuts.push_back(b / beta);
          std::sort(cuts.begin(), cuts.end());
          double total = 0.;
          for (unsigned int c = 0; c + 1 < cuts.size(); ++c)
            {
              const double l = cuts[c], u = cuts[c + 1];
              if (!(u > l))
                continue;
              const double z = std::isinf(l) ? (std::isinf(u) ? 0. : u - 1.) : (std::isinf(u) ? l + 1. : 0.5 * (l + u));
              // f(alpha z) = f0 + f1 z on (l, u), same for g
              double f0, f1, g0, g1;
              piece(alpha, a, f_ramp, z, f0, f1);
              piece(beta, b, g_ramp, z, g0, g1);
              const double Pl = std::isinf(l) ? 0. : normal_pdf(l), Pu = std::isinf(u) ? 0. : normal_pdf(u);
              const double M0 = normal_cdf(u) - normal_cdf(l);
              const double M1 = Pl - Pu;
              const double M2 = M0 + (std::isinf(l) ? 0. : l * Pl) - (std::isinf(u) ? 0. : u * Pu);
              total += f0 * g0 * M0 + (f0 * g1 + f1 * g0) * M1 + f1 * g1 * M2;
            }
          return total;
        }

        /// value and slope in z of ramp/step at threshold a of scale * z, on the piece containing z
        static void
        piece(double scale, double a, bool ramp, double z, double &v0, double &v1)
        {
          const bool active = scale * z > a;
          if (!active)
            v0 = v1 = 0.;
          else if (ramp)
            v0 = -a, v1 = scale;
          else
            v0 = 1., v1 = 0.;
        }

        double sx, sxp, rho, s, alpha, beta;
        bool   degenerate, degenerate_steps;
      };

      const double        c0;
      std::vector<double> t, k;
    };

    /**
     * A smooth activation (tanh): no closed form, so expectations are
     * composite Gauss-Legendre quadratures against the normal density on
     * [-9, 9] (tail mass below 1e-18), with panels graded geometrically
     * towards the steep region of the integrand so that the analytic
     * integrand converges to about 1e-13.
     */
    class SmoothActivationExpectations : public GaussianExpectations
    {
    public:
      explicit SmoothActivationExpectations(const model::Activation &sigma)
        : sigma(sigma)
        , rule(20)
      {}

      double
      q(double s) const override
      {
        return integrate([&](double z) { return sigma.value(s * z); }, 0., s);
      }
      double
      dq(double s) const override
      {
        return integrate([&](double z) { return z * sigma.derivative(s * z); }, 0., s);
      }
      double
      pair(double sx, double sxp, double C) const override
      {
        return pair_of([&](double t) { return sigma.value(t); }, [&](double t) { return sigma.value(t); }, sx, sxp, C);
      }
      PairWithDerivatives
      pair_with_derivatives(double sx, double sxp, double C) const override
      {
        sx  = std::max(sx, min_std);
        sxp = std::max(sxp, min_std);
        const auto value  = [&](double t) { return sigma.value(t); };
        const auto second = [&](double t) { return sigma.second_derivative(t); };
        PairWithDerivatives result;
        result.value = pair(sx, sxp, C);
        result.d_C   = derivative_pair(sx, sxp, C);
        result.d_sx  = sx * pair_of(second, value, sx, sxp, C);
        result.d_sxp = sxp * pair_of(value, second, sx, sxp, C);
        return result;
      }
      void
      hermite_coefficients(double s, unsigned int n, double *a) const override
      {
        for (unsigned int i = 0; i < n; ++i)
          a[i] = 0.;
        for (const auto &[z, weight] : gaussian_rule(0., s))
          {
            // normalised Hermite polynomials He_i(z) / sqrt(i!)
            const double f        = weight * sigma.value(s * z);
            double       previous = 0., current = 1.;
            for (unsigned int i = 0; i < n; ++i)
              {
                a[i] += f * current;
                const double next = (z * current - std::sqrt(double(i)) * previous) / std::sqrt(i + 1.);
                previous          = current;
                current           = next;
              }
          }
      }

      unsigned int
      accurate_hermite_coefficients() const override
      {
        // 20-point Gauss panels of width <= 1.5 over [-9, 9] (gaussian_rule)
        return 66;
      }

      double
      relative_accuracy() const override
      {
        return 1e-13;
      }

      double
      derivative_pair(double sx, double sxp, double C) const override
      {
        const auto d = [&](double t) { return sigma.derivative(t); };
        return pair_of(d, d, sx, sxp, C);
      }
      double
      mixed_pair(double sx, double sxp, double C) const override
      {
        return pair_of([&](double t) { return sigma.value(t); }, [&](double t) { return sigma.derivative(t); }, sx, sxp,
                       C);
      }

    private:
      /// E[f(X) g(X')] with X = sx Z1, X' = beta Z1 + e Z2.
      template <class F, class G>
      double
      pair_of(const F &f, const G &g, double sx, double sxp, double C) const
      {
        if (sx <= 0.)
          return f(0.) * integrate([&](double z) { return g(sxp * z); }, 0., sxp);
        const double beta = C / sx;
        const double e    = std::sqrt(std::max(sxp * sxp - beta * beta, 0.));
        return integrate(
          [&](double z1) {
            const double m = beta * z1;
            const double inner =
              e > 0. ? integrate([&](double z2) { return g(m + e * z2); }, -m / e, e) : g(m);
            return f(sx * z1) * inner;
          },
          0., std::max(sx, std::abs(beta)));
      }

      /// Nodes z and weights (including phi(z)) of int f(z) phi(z) dz for f
      /// steep near z = centre on the scale 1/steepness.
      std::vector<std::pair<double, double>>
      gaussian_rule(double centre, double steepness) const
      {
        constexpr double    L = 9.;
        std::vector<double> cuts;
        for (double x = -L; x <= L; x += 1.5)
          cuts.push_back(x);
        if (steepness > 1.)
          for (double width = 1. / steepness; width < 1.; width *= 3.)
            for (const double x : {centre - width, centre + width})
              if (x > -L && x < L)
                cuts.push_back(x);
        if (centre > -L && centre < L)
          cuts.push_back(centre);
        std::sort(cuts.begin(), cuts.end());
        std::vector<std::pair<double, double>> nodes;
        for (unsigned int c = 0; c + 1 < cuts.size(); ++c)
          {
            const double l = cuts[c], h = cuts[c + 1] - cuts[c];
            if (h <= 0.)
              continue;
            for (unsigned int q = 0; q < rule.size(); ++q)
              {
                const double z = l + h * rule.point(q)[0];
                nodes.emplace_back(z, h * rule.weight(q) * normal_pdf(z));
              }
          }
        return nodes;
      }

      template <class F>
      double
      integrate(const F &f, double centre, double steepness) const
      {
        double total = 0.;
        for (const auto &[z, weight] : gaussian_rule(centre, steepness))
          total += weight * f(z);
        return total;
      }

      const model::Activation &sigma;
      const dealii::QGauss<1>  rule;
    };
  } // namespace

  std::shared_ptr<GaussianExpectations>
  GaussianExpectations::create(const model::Activation &sigma)
  {
    if (const auto *t = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      return std::make_shared<PiecewiseLinearExpectations>(t->s1, std::vector<double>{t->t1, t->t2},
                                                           std::vector<double>{t->slope, -t->slope});
    if (dynamic_cast<const model::ReLU *>(&sigma))
      return std::make_shared<PiecewiseLinearExpectations>(0., std::vector<double>{0.}, std::vector<double>{1.});
    return std::make_shared<SmoothActivationExpectations>(sigma);
  }
} // namespace mfdd::kernels
