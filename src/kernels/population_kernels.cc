#include <mfdd/kernels/angular_quadrature.h>
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/kernels/population_kernels.h>

#include <algorithm>
#include <cmath>
#include <numeric>

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
    /// Mehler's series stops once its tail is below this fraction of sqrt(E sigma(X)^2 E sigma(X')^2).
    constexpr double series_tolerance = 1e-14;
    /// Terms tried before the per-point data is extended to the kernel's maximum.
    constexpr unsigned int first_series_terms = 64;

    /// E[c^k] under mu_m for k = 0 .. n (0 for odd k), in extended precision.
    std::vector<long double>
    cosine_moments(unsigned int m, unsigned int n)
    {
      std::vector<long double> M(n + 1, 0.L);
      M[0] = 1.L;
      for (unsigned int k = 2; k <= n; k += 2)
        M[k] = M[k - 2] * (k - 1.L) / (m + k - 2.L);
      return M;
    }

    /// binom(n, k) E[c1^k] E[c2^(n-k)] for even n, k <= n_max: the weights of
    /// E[(alpha_1 c1 + alpha_2 c2)^n] = sum_k w_nk alpha_1^k alpha_2^(n-k). The
    /// binomials reach 1e306 at n = 1024: long double keeps them and the products finite.
    std::vector<std::vector<double>>
    moment_weights_of(const std::vector<unsigned int> &block_sizes, unsigned int n_max)
    {
      std::vector<std::vector<double>> W;
      const auto                       M1 = cosine_moments(block_sizes[0], n_max);
      if (block_sizes.size() == 1)
        {
          for (unsigned int n = 0; n <= n_max; n += 2)
            W.push_back({double(M1[n])});
          return W;
        }
      const auto M2 = cosine_moments(block_sizes[1], n_max);
      for (unsigned int n = 0; n <= n_max; n += 2)
        {
          std::vector<double> row;
          long double         binomial = 1.L; // binom(n, k)
          for (unsigned int k = 0; k <= n; ++k)
            {
              if (k > 0)
                binomial = binomial * (n - k + 1.L) / k;
              if (k % 2 == 0)
                row.push_back(double(binomial * M1[k] * M2[n - k]));
            }
          W.push_back(std::move(row));
        }
      return W;
    }
  } // namespace

  PopulationKernels::PopulationKernels(const model::Problem &problem, unsigned int max_terms)
    : the_problem(problem)
    , expectations(GaussianExpectations::create(*problem.activation))
    , max_series_terms(0)
  {
    if (problem.kernel != model::KernelKind::exact)
      return;
    std::vector<unsigned int> block_sizes;
    for (const auto &block : problem.data.blocks())
      {
        angular.emplace_back(block.size);
        block_sizes.push_back(block.size);
      }
    // the derivative of a_n needs a_{n+2}
    const unsigned int accurate = expectations->accurate_hermite_coefficients();
    max_series_terms            = 2 * (std::min(max_terms, accurate - 2) / 2);
    moment_weights              = moment_weights_of(block_sizes, max_series_terms);
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

  PopulationKernels::SeriesPoint
  PopulationKernels::series_point(bool plus, const std::vector<double> &r, unsigned int n_terms) const
  {
    const auto  projected = projection(the_problem.data, r, plus);
    SeriesPoint p;
    p.plus      = plus;
    p.std_dev   = projected.std_dev;
    p.d_std_dev = projected.d_radius;
    for (unsigned int b = 0; b < r.size(); ++b)
      p.beta.push_back(the_problem.data.blocks()[b].std_for(plus) * r[b] / p.std_dev);
    p.hermite.resize(n_terms + 2);
    expectations->hermite_coefficients(p.std_dev, n_terms + 2, p.hermite.data());
    // T_n = E sigma^2 - sum_{k<n} a_k^2 by compensated summation, plus the
    // error of E sigma^2 itself, so that T_n bounds the true tail energy; the
    // same for the even coefficients alone, whose energy is
    // (E sigma(X)^2 + E sigma(X) sigma(-X)) / 2 (Mehler at rho = -1).
    const double s       = p.std_dev;
    p.second_moment      = expectations->second_moment(s);
    const double even    = 0.5 * (p.second_moment + expectations->pair(s, s, -s * s));
    const double margin  = 2. * expectations->relative_accuracy() * p.second_moment;
    double       sum[2] = {0., 0.}, compensation[2] = {0., 0.}; // [odd]
    for (unsigned int n = 0; n <= n_terms; n += 2)
      {
        p.tail_energy.push_back(std::max(p.second_moment - sum[0] - sum[1], 0.) + margin);
        p.even_tail_energy.push_back(std::max(even - sum[0], 0.) + margin);
        for (const unsigned int k : {n, n + 1})
          {
            const double y = p.hermite[k] * p.hermite[k] - compensation[k % 2];
            const double t = sum[k % 2] + y;
            compensation[k % 2] = (t - sum[k % 2]) - y;
            sum[k % 2]          = t;
          }
      }
    return p;
  }

  bool
  PopulationKernels::series_class_kernel(const SeriesPoint &p, const SeriesPoint &q, double &u, double *du) const
  {
    const unsigned int n_terms  = std::min(p.hermite.size(), q.hermite.size()) - 2;
    const unsigned int n_blocks = p.beta.size();
    const double       alpha0 = p.beta[0] * q.beta[0], alpha1 = n_blocks == 2 ? p.beta[1] * q.beta[1] : 0.;
    const double       bound  = series_tolerance * std::sqrt(p.second_moment * q.second_moment);
    // even powers of alpha_b, extended as n grows
    std::vector<double> pa{1.}, pb{1.};
    double              d_value_sx = 0., d_value_alpha[2] = {0., 0.};
    u                              = 0.;
    for (unsigned int n = 0;; n += 2)
      {
        if (n > 0)
          {
            pa.push_back(pa.back() * alpha0 * alpha0);
            pb.push_back(pb.back() * alpha1 * alpha1);
          }
        // E[rho^n] and its derivatives in alpha_0, alpha_1
        const auto &W      = moment_weights[n / 2];
        double      moment = 0., d_moment0 = 0., d_moment1 = 0.;
        if (n_blocks == 1)
          {
            moment    = W[0] * pa[n / 2];
            d_moment0 = n > 0 ? W[0] * n * pa[n / 2 - 1] * alpha0 : 0.;
          }
        else
          for (unsigned int k = 0; k <= n; k += 2)
            {
              const double w = W[k / 2];
              moment += w * pa[k / 2] * pb[(n - k) / 2];
              if (du && k > 0)
                d_moment0 += w * k * pa[k / 2 - 1] * alpha0 * pb[(n - k) / 2];
              if (du && n > k)
                d_moment1 += w * (n - k) * pa[k / 2] * pb[(n - k) / 2 - 1] * alpha1;
            }
        // the terms n, n+2, ... (odd moments vanish) are at most E[rho^n] sqrt(T_n T'_n)
        // in all, T_n the even tail energies
        if (moment * std::sqrt(p.even_tail_energy[n / 2] * q.even_tail_energy[n / 2]) < bound)
          break;
        if (n == n_terms)
          return false;
        const double product = p.hermite[n] * q.hermite[n];
        u += product * moment;
        if (du)
          {
            // d a_n / ds = (sqrt((n+1)(n+2)) a_{n+2} + n a_n) / s
            const double da =
              (std::sqrt((n + 1.) * (n + 2.)) * p.hermite[n + 2] + n * p.hermite[n]) / p.std_dev;
            d_value_sx += da * q.hermite[n] * moment;
            d_value_alpha[0] += product * d_moment0;
            d_value_alpha[1] += product * d_moment1;
          }
      }
    if (du)
      for (unsigned int b = 0; b < n_blocks; ++b)
        {
          // alpha_b' = beta_b' beta'_b', d beta_b' / d r_b = (delta_bb' s_b - beta_b' d_sx[b]) / sx
          double d_alpha_terms = 0.;
          for (unsigned int bp = 0; bp < n_blocks; ++bp)
            {
              const double s_b     = the_problem.data.blocks()[b].std_for(p.plus);
              const double d_beta  = ((bp == b ? s_b : 0.) - p.beta[bp] * p.d_std_dev[b]) / p.std_dev;
              d_alpha_terms += d_value_alpha[bp] * q.beta[bp] * d_beta;
            }
          du[b] = d_value_sx * p.d_std_dev[b] + d_alpha_terms;
        }
    return true;
  }

  double
  PopulationKernels::quadrature_class_kernel(bool                       plus,
                                             const std::vector<double> &r,
                                             const std::vector<double> &rp,
                                             double                    *du,
                                             const SeriesPoint         *series_p,
                                             const SeriesPoint         *series_q) const
  {
    const unsigned int n_blocks = r.size();
    const auto p = projection(the_problem.data, r, plus), pp = projection(the_problem.data, rp, plus);
    // At a node of correlation rho, sum_{n<M} a_n a'_n rho^n is within the
    // series tolerance once |rho|^M sqrt(T_M T'_M) is (M even): a few hundred
    // flops instead of the closed form's bivariate normal CDFs, at most nodes.
    // reach[k] is the largest |rho| for which some M <= 2k does, with that M.
    std::vector<double>                             products;
    std::vector<std::pair<double, unsigned int>> reach;
    if (series_p && series_q)
      {
        const unsigned int n = std::min(series_p->hermite.size(), series_q->hermite.size()) - 2;
        for (unsigned int k = 0; k < n; ++k)
          products.push_back(series_p->hermite[k] * series_q->hermite[k]);
        const double bound = series_tolerance * std::sqrt(series_p->second_moment * series_q->second_moment);
        std::pair<double, unsigned int> best{0., 0};
        for (unsigned int M = 2; M <= n; M += 2)
          {
            const double rho_M =
              std::pow(bound / std::sqrt(series_p->tail_energy[M / 2] * series_q->tail_energy[M / 2]), 1. / M);
            if (rho_M > best.first)
              best = {rho_M, M};
            reach.push_back(best);
          }
      }
    const auto pair_value = [&](double C) {
      const double rho   = C / (p.std_dev * pp.std_dev);
      const auto   first = std::lower_bound(reach.begin(), reach.end(), std::abs(rho),
                                          [](const auto &entry, double x) { return entry.first < x; });
      if (first != reach.end())
        {
          double sum = 0.;
          for (unsigned int k = first->second; k-- > 0;)
            sum = sum * rho + products[k];
          return sum;
        }
      return expectations->pair(p.std_dev, pp.std_dev, C);
    };
    // per block, the covariance of the projections per unit cosine
    std::vector<double> cov_unit(n_blocks);
    for (unsigned int b = 0; b < n_blocks; ++b)
      {
        const double s = the_problem.data.blocks()[b].std_for(plus);
        cov_unit[b]    = s * s * r[b] * rp[b];
      }
    // tensor product over the blocks' angular rules (one or two blocks)
    const auto         &rule0 = angular[0];
    const double       *c1 = nullptr, *w1 = nullptr;
    unsigned int        n1 = 1;
    const double        one = 1., zero = 0.;
    double              u = 0.;
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
          const double w  = rule0.weights()[i] * wj;
          if (!du)
            {
              u += w * pair_value(C);
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
    return u;
  }

  double
  PopulationKernels::evaluate_U(const double *z, const double *zp, double *grad) const
  {
    const auto         &setting = the_problem.reduced_setting();
    const auto          r = radii(z), rp = radii(zp);
    const unsigned int  n_blocks = r.size(), first = setting.first_radius();
    const double        a = setting.amplitude(z), ap = setting.amplitude(zp);
    std::vector<double> du(n_blocks, 0.), du_class(n_blocks, 0.);
    double              u = 0.;
    for (const bool plus : {true, false})
      {
        std::fill(du_class.begin(), du_class.end(), 0.);
        double u_class;
        if (the_problem.kernel == model::KernelKind::large_d)
          {
            // c = 0: X and X' independent
            const auto   p = projection(the_problem.data, r, plus), pp = projection(the_problem.data, rp, plus);
            const double qp = expectations->q(pp.std_dev);
            u_class         = expectations->q(p.std_dev) * qp;
            const double dq = expectations->dq(p.std_dev);
            for (unsigned int b = 0; b < n_blocks; ++b)
              du_class[b] = dq * p.d_radius[b] * qp;
          }
        else
          {
            // Mehler's series with few terms, then with all, then the angular quadrature
            const auto series = [&](unsigned int n_terms) {
              return n_terms > 0 && series_class_kernel(series_point(plus, r, n_terms), series_point(plus, rp, n_terms),
                                                        u_class, grad ? du_class.data() : nullptr);
            };
            const unsigned int first_terms = std::min(first_series_terms, max_series_terms);
            const bool         converged = series(first_terms) || (max_series_terms > first_terms && series(max_series_terms));
            if (!converged)
              u_class = quadrature_class_kernel(plus, r, rp, grad ? du_class.data() : nullptr);
          }
        u += 0.5 * u_class;
        for (unsigned int b = 0; b < n_blocks; ++b)
          du[b] += 0.5 * du_class[b];
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

  std::vector<double>
  PopulationKernels::U_table(const std::vector<double>               &points,
                             unsigned int                              stride,
                             unsigned int                              offset,
                             const std::function<void(double)>       &progress) const
  {
    const unsigned int  n = points.size() / dimension();
    std::vector<double> table(n * n, 0.);
    const auto          prepared = prepare(points);
    // Rows in the order i_k = k P mod n (P coprime to n): the costly rows (of
    // pairs that need the quadrature) are spread out, so that progress
    // reports and the share of each rank are even.
    unsigned int P = std::max(1u, static_cast<unsigned int>(0.618 * n));
    while (std::gcd(P, n) != 1)
      ++P;
    const auto row = [&](unsigned int k) { return static_cast<unsigned int>((static_cast<unsigned long>(k) * P) % n); };
    double     pairs = 0., pairs_done = 0.;
    for (unsigned int k = offset; k < n; k += stride)
      pairs += row(k) + 1.;
    for (unsigned int k = offset; k < n; k += stride)
      {
        const unsigned int i = row(k);
        for (unsigned int j = 0; j <= i; ++j)
          table[i * n + j] = table[j * n + i] = prepared_U(prepared, i, j);
        pairs_done += i + 1.;
        if (progress)
          progress(pairs_done / pairs);
      }
    return table;
  }

  PopulationKernels::PreparedPoints
  PopulationKernels::prepare(const std::vector<double> &points) const
  {
    PreparedPoints prepared;
    prepared.points         = &points;
    const unsigned int dim  = dimension(), n = points.size() / dim;
    if (the_problem.kernel != model::KernelKind::exact || max_series_terms == 0)
      return prepared;
    for (unsigned int i = 0; i < n; ++i)
      {
        prepared.radii.push_back(radii(&points[i * dim]));
        for (const bool plus : {true, false})
          prepared.series[plus].push_back(series_point(plus, prepared.radii.back(), max_series_terms));
      }
    return prepared;
  }

  double
  PopulationKernels::prepared_U(const PreparedPoints &prepared, unsigned int i, unsigned int j) const
  {
    const unsigned int dim = dimension();
    const double      *zi = &(*prepared.points)[i * dim], *zj = &(*prepared.points)[j * dim];
    if (prepared.radii.empty())
      return U(zi, zj);
    double u = 0.;
    for (const bool plus : {true, false})
      {
        const auto &series = prepared.series[plus];
        double      u_class;
        if (!series_class_kernel(series[i], series[j], u_class, nullptr))
          u_class = quadrature_class_kernel(plus, prepared.radii[i], prepared.radii[j], nullptr, &series[i], &series[j]);
        u += 0.5 * u_class;
      }
    const auto &setting = the_problem.reduced_setting();
    return setting.amplitude(zi) * setting.amplitude(zj) * u;
  }

  double
  PopulationKernels::risk(const std::vector<double> &points, const std::vector<double> &weights) const
  {
    const unsigned int dim      = dimension();
    const unsigned int n        = weights.size();
    const double       alpha    = the_problem.alpha;
    const auto         prepared = prepare(points);
    double             linear = 0., quadratic = 0.;
    for (unsigned int p = 0; p < n; ++p)
      {
        linear += weights[p] * V(points.data() + p * dim);
        double row = 0.5 * weights[p] * prepared_U(prepared, p, p);
        for (unsigned int q = p + 1; q < n; ++q)
          row += weights[q] * prepared_U(prepared, q, p);
        quadratic += 2. * weights[p] * row;
      }
    return the_problem.data.second_moment_y() + 2. * alpha * linear + alpha * alpha * quadratic;
  }
} // namespace mfdd::kernels
