#include <mfdd/kernels/angular_quadrature.h>
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/population_kernels.h>

#include <algorithm>
#include <cmath>

namespace mfdd::kernels
{
  namespace
  {
    // Radii below this are evaluated at this value: every kernel is continuous
    // there and the derivatives take their one-sided limits at r = 0.
    constexpr double min_radius = 1e-100;
  } // namespace

  namespace
  {
    /// Terms of the Mehler series of the angle-averaged kernel.
    constexpr unsigned int series_terms = 64;
    /// The series is used if its tail is below this fraction of sqrt(E sigma(X)^2 E sigma(X')^2).
    constexpr double series_tolerance = 1e-14;

    /// E[c^k] under mu_m, k = 0 .. series_terms: 0 for odd k, prod_{i<=k/2} (2i-1)/(m+2i-2) for even k.
    std::vector<double>
    cosine_moments(unsigned int m)
    {
      std::vector<double> M(series_terms + 1, 0.);
      M[0] = 1.;
      for (unsigned int k = 2; k <= series_terms; k += 2)
        M[k] = M[k - 2] * (k - 1.) / (m + k - 2.);
      return M;
    }
  } // namespace

  PopulationKernels::PopulationKernels(const model::Problem &problem)
    : the_problem(problem)
    , expectations(GaussianExpectations::create(*problem.activation))
  {
    if (problem.kernel == model::KernelKind::exact)
      for (const auto &block : problem.data.blocks())
        {
          angular.emplace_back(block.size);
          moments.push_back(cosine_moments(block.size));
        }
  }

  PopulationKernels::~PopulationKernels() = default;

  unsigned int
  PopulationKernels::dimension() const
  {
    return the_problem.reduced_setting().dimension();
  }

  namespace
  {
    /// Per class: the variance of <w, x> and its derivatives in the block radii.
    struct ClassProjection
    {
      double              std_dev;
      std::vector<double> d_radius; // d std_dev / d r_b
    };

    ClassProjection
    projection(const model::DataModel &data, const std::vector<double> &radii, bool plus)
    {
      ClassProjection p;
      double          variance = 0.;
      for (unsigned int b = 0; b < radii.size(); ++b)
        {
          const double s = data.blocks()[b].std_for(plus);
          variance += s * s * radii[b] * radii[b];
        }
      p.std_dev = std::sqrt(variance);
      for (unsigned int b = 0; b < radii.size(); ++b)
        {
          const double s = data.blocks()[b].std_for(plus);
          p.d_radius.push_back(s * s * radii[b] / p.std_dev);
        }
      return p;
    }
  } // namespace

  std::vector<double>
  PopulationKernels::radii(const double *z) const
  {
    const auto         &setting = the_problem.reduced_setting();
    std::vector<double> r(setting.n_blocks());
    for (unsigned int b = 0; b < r.size(); ++b)
      r[b] = std::max(setting.radius(z, b), min_radius);
    return r;
  }

  double
  PopulationKernels::V(const double *z) const
  {
    std::vector<double> grad(dimension());
    return V_and_gradient(z, grad.data());
  }

  double
  PopulationKernels::V_and_gradient(const double *z, double *grad) const
  {
    const auto  &setting = the_problem.reduced_setting();
    const auto   r       = radii(z);
    const double a       = setting.amplitude(z);
    double       v       = 0.;
    const unsigned int first = setting.first_radius();
    for (unsigned int b = 0; b < r.size(); ++b)
      grad[first + b] = 0.;
    // v-bar = -1/2 q(s_+) + 1/2 q(s_-)
    for (const bool plus : {true, false})
      {
        const double sign = plus ? -0.5 : 0.5;
        const auto   p    = projection(the_problem.data, r, plus);
        v += sign * expectations->q(p.std_dev);
        const double dq = expectations->dq(p.std_dev);
        for (unsigned int b = 0; b < r.size(); ++b)
          grad[first + b] += a * sign * dq * p.d_radius[b];
      }
    if (setting.has_amplitude())
      grad[0] = v;
    return a * v;
  }

  double
  PopulationKernels::U(const double *z, const double *zp) const
  {
    return evaluate_U(z, zp, nullptr);
  }

  double
  PopulationKernels::U_and_gradient(const double *z, const double *zp, double *grad) const
  {
    return evaluate_U(z, zp, grad);
  }

  bool
  PopulationKernels::series_class_kernel(bool                       plus,
                                         const std::vector<double> &r,
                                         const std::vector<double> &rp,
                                         double                     sx,
                                         double                     sxp,
                                         const std::vector<double> &d_sx,
                                         double                    &u,
                                         double                    *du) const
  {
    // rho = sum_b alpha_b c_b with alpha_b = s_b^2 r_b r'_b / (sx sx') >= 0 and
    // independent c_b ~ mu_{m_b}: E[rho^n] is a (binomial) sum of moments.
    const unsigned int  n_blocks = r.size(), K = series_terms;
    std::vector<double> alpha(n_blocks);
    for (unsigned int b = 0; b < n_blocks; ++b)
      {
        const double s = the_problem.data.blocks()[b].std_for(plus);
        alpha[b]       = s * s * r[b] * rp[b] / (sx * sxp);
      }
    // E[rho^n] and its derivatives in alpha_b, n = 0 .. K
    std::vector<double> moment(K + 1, 0.), d_moment0(K + 1, 0.), d_moment1(K + 1, 0.);
    const auto         &M0 = moments[0];
    if (n_blocks == 1)
      for (unsigned int n = 0; n <= K; ++n)
        {
          moment[n]    = std::pow(alpha[0], n) * M0[n];
          d_moment0[n] = n > 0 ? n * std::pow(alpha[0], n - 1.) * M0[n] : 0.;
        }
    else
      {
        const auto         &M1 = moments[1];
        std::vector<double> binomial(K + 1, 0.), pa(K + 1), pb(K + 1);
        pa[0] = pb[0] = 1.;
        for (unsigned int k = 1; k <= K; ++k)
          {
            pa[k] = pa[k - 1] * alpha[0];
            pb[k] = pb[k - 1] * alpha[1];
          }
        binomial[0] = 1.;
        for (unsigned int n = 0; n <= K; ++n)
          {
            if (n > 0)
              for (unsigned int k = n; k > 0; --k)
                binomial[k] += binomial[k - 1];
            for (unsigned int k = 0; k <= n; ++k)
              {
                const double c = binomial[k] * M0[k] * M1[n - k];
                if (c == 0.)
                  continue;
                moment[n] += c * pa[k] * pb[n - k];
                if (k > 0)
                  d_moment0[n] += c * k * pa[k - 1] * pb[n - k];
                if (n > k)
                  d_moment1[n] += c * (n - k) * pa[k] * pb[n - k - 1];
              }
          }
      }
    if (moment[K] > series_tolerance)
      return false;

    // a_k(sx), a_k(sx') for k < K + 2 (the derivative needs two more)
    std::vector<double> a(K + 2), ap(K + 2);
    expectations->hermite_coefficients(sx, K + 2, a.data());
    expectations->hermite_coefficients(sxp, K + 2, ap.data());
    u = 0.;
    double d_value_sx = 0., d_value_alpha0 = 0., d_value_alpha1 = 0.;
    for (unsigned int n = 0; n < K; ++n)
      {
        const double product = a[n] * ap[n];
        u += product * moment[n];
        if (du)
          {
            // d a_n / ds = (sqrt((n+1)(n+2)) a_{n+2} + n a_n) / s
            const double da = (std::sqrt((n + 1.) * (n + 2.)) * a[n + 2] + n * a[n]) / sx;
            d_value_sx += da * ap[n] * moment[n];
            d_value_alpha0 += product * d_moment0[n];
            d_value_alpha1 += product * d_moment1[n];
          }
      }
    if (du)
      for (unsigned int b = 0; b < n_blocks; ++b)
        {
          // d alpha_b' / d r_b = delta_bb' s_b^2 r'_b / (sx sx') - alpha_b' d_sx[b] / sx
          double d_alpha_terms = 0.;
          for (unsigned int bp = 0; bp < n_blocks; ++bp)
            {
              const double s       = the_problem.data.blocks()[bp].std_for(plus);
              const double d_alpha = (bp == b ? s * s * rp[b] / (sx * sxp) : 0.) - alpha[bp] * d_sx[b] / sx;
              d_alpha_terms += (bp == 0 ? d_value_alpha0 : d_value_alpha1) * d_alpha;
            }
          du[b] = d_value_sx * d_sx[b] + d_alpha_terms;
        }
    return true;
  }

  double
  PopulationKernels::evaluate_U(const double *z, const double *zp, double *grad) const
  {
    const auto        &setting = the_problem.reduced_setting();
    const auto         r = radii(z), rp = radii(zp);
    const unsigned int n_blocks = r.size(), first = setting.first_radius();
    const double       a = setting.amplitude(z), ap = setting.amplitude(zp);
    std::vector<double> du(n_blocks, 0.);
    double              u = 0.;
    for (const bool plus : {true, false})
      {
        const auto p = projection(the_problem.data, r, plus), pp = projection(the_problem.data, rp, plus);
        if (the_problem.kernel == model::KernelKind::large_d)
          {
            // c = 0: X and X' independent
            const double qp = expectations->q(pp.std_dev);
            u += 0.5 * expectations->q(p.std_dev) * qp;
            const double dq = expectations->dq(p.std_dev);
            for (unsigned int b = 0; b < n_blocks; ++b)
              du[b] += 0.5 * dq * p.d_radius[b] * qp;
            continue;
          }
        {
          double              u_class;
          std::vector<double> du_class(n_blocks);
          if (series_class_kernel(plus, r, rp, p.std_dev, pp.std_dev, p.d_radius, u_class,
                                  grad ? du_class.data() : nullptr))
            {
              u += 0.5 * u_class;
              for (unsigned int b = 0; b < n_blocks; ++b)
                du[b] += 0.5 * du_class[b];
              continue;
            }
        }
        // per block, the covariance of the projections per unit cosine
        std::vector<double> cov_unit(n_blocks);
        for (unsigned int b = 0; b < n_blocks; ++b)
          {
            const double s = the_problem.data.blocks()[b].std_for(plus);
            cov_unit[b]    = s * s * r[b] * rp[b];
          }
        // tensor product over the blocks' angular rules (one or two blocks)
        const auto  &rule0 = angular[0];
        const double *c1 = nullptr, *w1 = nullptr;
        unsigned int n1 = 1;
        const double one = 1., zero = 0.;
        if (n_blocks == 2)
          {
            c1 = angular[1].nodes().data();
            w1 = angular[1].weights().data();
            n1 = angular[1].size();
          }
        for (unsigned int i = 0; i < rule0.size(); ++i)
          for (unsigned int j = 0; j < n1; ++j)
            {
              const double cj = n_blocks == 2 ? c1[j] : zero;
              const double wj = n_blocks == 2 ? w1[j] : one;
              const double C  = cov_unit[0] * rule0.nodes()[i] + (n_blocks == 2 ? cov_unit[1] * cj : 0.);
              const double w  = 0.5 * rule0.weights()[i] * wj;
              if (!grad)
                {
                  u += w * expectations->pair(p.std_dev, pp.std_dev, C);
                  continue;
                }
              const auto P = expectations->pair_with_derivatives(p.std_dev, pp.std_dev, C);
              u += w * P.value;
              for (unsigned int b = 0; b < n_blocks; ++b)
                {
                  const double s  = the_problem.data.blocks()[b].std_for(plus);
                  const double cb = b == 0 ? rule0.nodes()[i] : cj;
                  du[b] += w * (P.d_sx * p.d_radius[b] + P.d_C * s * s * rp[b] * cb);
                }
            }
      }
    if (grad)
      {
        for (unsigned int b = 0; b < n_blocks; ++b)
          grad[first + b] = a * ap * du[b];
        if (setting.has_amplitude())
          grad[0] = ap * u;
      }
    return a * ap * u;
  }

  double
  PopulationKernels::risk(const std::vector<double> &points, const std::vector<double> &weights) const
  {
    const unsigned int dim = dimension();
    const unsigned int n   = weights.size();
    const double       alpha = the_problem.alpha;
    double             linear = 0., quadratic = 0.;
    for (unsigned int p = 0; p < n; ++p)
      {
        const double *zp = points.data() + p * dim;
        linear += weights[p] * V(zp);
        double row = 0.5 * weights[p] * U(zp, zp);
        for (unsigned int q = p + 1; q < n; ++q)
          row += weights[q] * U(zp, points.data() + q * dim);
        quadratic += 2. * weights[p] * row;
      }
    return the_problem.data.second_moment_y() + 2. * alpha * linear + alpha * alpha * quadratic;
  }
} // namespace mfdd::kernels
