#include <mfdd/kernels/angular_quadrature.h>
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/ntk/direction_average.h>
#include <mfdd/ntk/kernel_limit.h>

#include <boost/math/distributions/chi_squared.hpp>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/lac/lapack_full_matrix.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace mfdd::ntk
{
  double
  amplitude_second_moment(const model::InitialLaw &law)
  {
    const double mean = law.amplitude_mean(), half_width = 0.5 * (law.a_upper - law.a_lower);
    switch (law.a_law)
      {
        case model::InitialLaw::AmplitudeLaw::uniform:
          return mean * mean + half_width * half_width / 3.;
        case model::InitialLaw::AmplitudeLaw::bump:
          // x = (a - mean)/half_width has density (15/16)(1 - x^2)^2, E[x^2] = 1/7.
          return mean * mean + half_width * half_width / 7.;
        case model::InitialLaw::AmplitudeLaw::constant:
          return law.a_lower * law.a_lower;
      }
    throw std::logic_error("unknown law of a");
  }

  namespace
  {
    /// Values at @p x of the Lagrange polynomials through @p nodes (barycentric form).
    void
    lagrange_values(const double *nodes, const std::vector<double> &barycentric, double x, double *values)
    {
      const unsigned int n   = barycentric.size();
      double             sum = 0.;
      for (unsigned int j = 0; j < n; ++j)
        {
          if (x == nodes[j])
            {
              std::fill(values, values + n, 0.);
              values[j] = 1.;
              return;
            }
          values[j] = barycentric[j] / (x - nodes[j]);
          sum += values[j];
        }
      for (unsigned int j = 0; j < n; ++j)
        values[j] /= sum;
    }

    /// Gauss rule on [a, b]: plain, or mapped by x = a + (b - a)(1 - cos(pi u))/2,
    /// which makes endpoint singularities (x - a)^{k/2}, (b - x)^{k/2} analytic in u.
    void
    rule_on(const dealii::QGauss<1> &gauss, double a, double b, bool mapped, std::vector<double> &x,
            std::vector<double> &w)
    {
      x.resize(gauss.size());
      w.resize(gauss.size());
      for (unsigned int q = 0; q < gauss.size(); ++q)
        {
          const double u = gauss.point(q)[0];
          if (mapped)
            {
              x[q] = a + 0.5 * (b - a) * (1. - std::cos(M_PI * u));
              w[q] = 0.5 * M_PI * (b - a) * std::sin(M_PI * u) * gauss.weight(q);
            }
          else
            {
              x[q] = a + (b - a) * u;
              w[q] = (b - a) * gauss.weight(q);
            }
        }
    }

    /// Gauss rule on [a, b] for integrands with a branch point (x - x0)^{k/2}
    /// at x0 <= a or x0 >= b (possibly close to the interval): x = x0 +- v^2
    /// with v linear in u between sqrt|a - x0| and sqrt|b - x0|, analytic in u.
    void
    rule_near(const dealii::QGauss<1> &gauss, double a, double b, double x0, std::vector<double> &x,
              std::vector<double> &w)
    {
      const double sign = x0 <= a ? 1. : -1.;
      const double va = std::sqrt(std::abs(a - x0)), vb = std::sqrt(std::abs(b - x0));
      x.resize(gauss.size());
      w.resize(gauss.size());
      for (unsigned int q = 0; q < gauss.size(); ++q)
        {
          const double v = va + (vb - va) * gauss.point(q)[0];
          x[q]           = x0 + sign * v * v;
          w[q]           = 2. * v * std::abs(vb - va) * gauss.weight(q);
        }
    }

    /// The rule for the piece [a, b] of an s-interval given the singular points
    /// @p singular (sorted): both ends singular -> cosine map; the nearest
    /// singular point within the piece's length outside (or at) one end -> rule_near;
    /// else plain Gauss.
    void
    rule_for_piece(const dealii::QGauss<1> &gauss, double a, double b, const std::vector<double> &singular,
                   std::vector<double> &x, std::vector<double> &w)
    {
      const double h = b - a;
      bool         left = false, right = false;
      double       nearest = 0., distance = std::numeric_limits<double>::infinity();
      for (const double x0 : singular)
        {
          if (x0 <= a && a - x0 <= h)
            {
              left = left || x0 == a;
              if (a - x0 < distance)
                distance = a - x0, nearest = x0;
            }
          if (x0 >= b && x0 - b <= h)
            {
              right = right || x0 == b;
              if (x0 - b < distance)
                distance = x0 - b, nearest = x0;
            }
        }
      if (left && right)
        rule_on(gauss, a, b, true, x, w);
      else if (std::isfinite(distance))
        rule_near(gauss, a, b, nearest, x, w);
      else
        rule_on(gauss, a, b, false, x, w);
    }

    /// a, b and the points of @p extra strictly inside (a, b), sorted.
    std::vector<double>
    split(double a, double b, const std::vector<double> &extra)
    {
      std::vector<double> points{a, b};
      for (const double x : extra)
        if (x > a && x < b)
          points.push_back(x);
      std::sort(points.begin(), points.end());
      return points;
    }
  } // namespace

  KernelLimit::KernelLimit(const model::Problem &problem, const KernelLimitDiscretisation &discretisation)
    : problem(problem)
    , law(problem.data, discretisation.radial_intervals, discretisation.radial_points)
    , expectations(kernels::GaussianExpectations::create(*problem.activation))
    , angular(std::make_shared<kernels::AngularQuadrature>(problem.d, discretisation.angular_points))
    , a_second_moment(ntk::amplitude_second_moment(problem.initial_law))
  {
    if (problem.reduced_setting().kind() != model::ReducedSettingKind::amplitude_radius ||
        std::abs(problem.initial_law.amplitude_mean()) >
          1e-12 * std::max(std::abs(problem.initial_law.a_lower), std::abs(problem.initial_law.a_upper)))
      throw std::logic_error("KernelLimit needs isotropic data, a trainable second layer and E[a] = 0");

    assemble_galerkin_operator(discretisation);
    const unsigned int n = operator_matrix.m();
    dealii::LAPACKFullMatrix<double> symmetric(n, n);
    symmetric = operator_matrix;
    symmetric.set_property(dealii::LAPACKSupport::symmetric);
    const double bound = std::numeric_limits<double>::max();
    symmetric.compute_eigenvalues_symmetric(-bound, bound, 0., lambda, eigenvectors);
    initial_coefficients.reinit(lambda.size());
    eigenvectors.Tvmult(initial_coefficients, projected_initial);
  }

  void
  KernelLimit::assemble_galerkin_operator(const KernelLimitDiscretisation &discretisation)
  {
    const std::vector<double> &partition = law.breakpoints();
    const unsigned int         P = law.points_per_interval(), n_intervals = partition.size() - 1, n = law.size();
    const DirectionAverage     average(*problem.activation, problem.d, discretisation.angular_points);

    // Barycentric weights of the Lagrange basis on each interval's Gauss nodes.
    std::vector<std::vector<double>> barycentric(n_intervals, std::vector<double>(P, 1.));
    for (unsigned int m = 0; m < n_intervals; ++m)
      for (unsigned int j = 0; j < P; ++j)
        for (unsigned int k = 0; k < P; ++k)
          if (k != j)
            barycentric[m][j] /= law.nodes()[m * P + j] - law.nodes()[m * P + k];

    // Orthonormal basis phi = T ell on each interval: M = D^{1/2} L L^T D^{1/2}
    // with D the Gauss weights (M is close to D), T = L^{-1} D^{-1/2}; and the
    // coordinates (T b) of P f, b_j = int ell_j f p.
    dealii::FullMatrix<double> T(n, n);
    projected_initial.reinit(n);
    {
      const dealii::QGauss<1> fine(2 * P + 8);
      f_norm = 0.;
      std::vector<double>     x, w, ell(P);
      for (unsigned int m = 0; m < n_intervals; ++m)
        {
          dealii::FullMatrix<double> mass(P, P), factor(P, P), inverse(P, P);
          dealii::Vector<double>     b(P), scaled(P), c(P);
          rule_on(fine, partition[m], partition[m + 1], false, x, w);
          for (unsigned int q = 0; q < x.size(); ++q)
            {
              lagrange_values(&law.nodes()[m * P], barycentric[m], x[q], ell.data());
              const double weight = w[q] * law.density(x[q]), f = law.regression_function(x[q]);
              f_norm += weight * f * f;
              for (unsigned int j = 0; j < P; ++j)
                {
                  b[j] += weight * ell[j] * f;
                  for (unsigned int k = 0; k < P; ++k)
                    mass(j, k) += weight * ell[j] * ell[k];
                }
            }
          for (unsigned int j = 0; j < P; ++j)
            for (unsigned int k = 0; k < P; ++k)
              mass(j, k) /= std::sqrt(law.weights()[m * P + j] * law.weights()[m * P + k]);
          factor.cholesky(mass);
          inverse.invert(factor);
          for (unsigned int j = 0; j < P; ++j)
            scaled[j] = b[j] / std::sqrt(law.weights()[m * P + j]);
          inverse.vmult(c, scaled);
          for (unsigned int j = 0; j < P; ++j)
            {
              projected_initial[m * P + j] = c[j];
              for (unsigned int k = 0; k <= j; ++k)
                T(m * P + j, m * P + k) = inverse(j, k) / std::sqrt(law.weights()[m * P + k]);
            }
        }
      remainder = std::max(0., f_norm - projected_initial.norm_sqr());
    }

    // Quadrature in r ~ kappa chi_d / sqrt(d): equal intervals on the part with
    // tail mass above 1e-17, split where |t_k|/r hits a breakpoint of s.
    const unsigned int d     = problem.d;
    const double       scale = problem.initial_law.kappa / std::sqrt(double(d));
    const boost::math::chi_squared_distribution<double> chi2(d);
    const double r_lower = scale * std::sqrt(boost::math::quantile(chi2, 1e-17)),
                 r_upper = scale * std::sqrt(boost::math::quantile(boost::math::complement(chi2, 1e-17)));
    std::vector<double> r_breaks;
    for (unsigned int i = 0; i <= discretisation.radial_intervals; ++i)
      r_breaks.push_back(r_lower + (r_upper - r_lower) * i / discretisation.radial_intervals);
    for (const double t : average.singular_points())
      for (const double b : partition)
        if (b > 0. && t / b > r_lower && t / b < r_upper)
          r_breaks.push_back(t / b);
    std::sort(r_breaks.begin(), r_breaks.end());

    // Rows of F: sqrt(rho_m) beta(r_m) and sqrt(rho_m E[a^2]) gamma(r_m) in the basis ell; A_ell = F^T F.
    const dealii::QGauss<1> r_gauss(2 * P), s_gauss(2 * P);
    std::vector<double>     r_nodes, r_weights;
    for (unsigned int i = 0; i + 1 < r_breaks.size(); ++i)
      if (r_breaks[i + 1] > r_breaks[i])
        {
          std::vector<double> x, w;
          rule_on(r_gauss, r_breaks[i], r_breaks[i + 1], true, x, w);
          for (unsigned int q = 0; q < x.size(); ++q)
            {
              r_nodes.push_back(x[q]);
              r_weights.push_back(w[q] * model::scaled_chi_density(x[q], d, d, problem.initial_law.kappa));
            }
        }
    dealii::FullMatrix<double> F(2 * r_nodes.size(), n);
    std::vector<double>        x, w, ell(P), kinks;
    for (unsigned int i = 0; i < r_nodes.size(); ++i)
      {
        const double r = r_nodes[i];
        kinks.clear();
        for (const double t : average.singular_points())
          kinks.push_back(t / r);
        const double value_row = std::sqrt(r_weights[i]), derivative_row = std::sqrt(r_weights[i] * a_second_moment);
        for (unsigned int m = 0; m < n_intervals; ++m)
          {
            const auto pieces = split(partition[m], partition[m + 1], kinks);
            for (unsigned int p = 0; p + 1 < pieces.size(); ++p)
              {
                rule_for_piece(s_gauss, pieces[p], pieces[p + 1], kinks, x, w);
                for (unsigned int q = 0; q < x.size(); ++q)
                  {
                    double q_d, g_d;
                    average.evaluate(r * x[q], q_d, g_d);
                    lagrange_values(&law.nodes()[m * P], barycentric[m], x[q], ell.data());
                    const double weight = w[q] * law.density(x[q]);
                    for (unsigned int j = 0; j < P; ++j)
                      {
                        F(2 * i, m * P + j) += value_row * weight * ell[j] * q_d;
                        F(2 * i + 1, m * P + j) += derivative_row * weight * ell[j] * x[q] * g_d;
                      }
                  }
              }
          }
      }
    dealii::FullMatrix<double> A_ell(n, n), TA(n, n);
    F.Tmmult(A_ell, F);
    T.mmult(TA, A_ell);
    operator_matrix.reinit(n, n);
    TA.mTmult(operator_matrix, T);
    // symmetric up to round-off of the products; make it exactly so
    for (unsigned int k = 0; k < n; ++k)
      for (unsigned int l = 0; l < k; ++l)
        operator_matrix(k, l) = operator_matrix(l, k) = 0.5 * (operator_matrix(k, l) + operator_matrix(l, k));
  }

  KernelLimit::~KernelLimit() = default;

  double
  KernelLimit::kernel(double s, double s_prime, double c) const
  {
    const double scale = problem.initial_law.kappa / std::sqrt(double(problem.d));
    const double std1 = scale * s, std2 = scale * s_prime, covariance = std1 * std2 * c;
    return expectations->pair(std1, std2, covariance) +
           a_second_moment * s * s_prime * c * expectations->derivative_pair(std1, std2, covariance);
  }

  double
  KernelLimit::radial_kernel(double s, double s_prime) const
  {
    double sum = 0.;
    for (unsigned int q = 0; q < angular->size(); ++q)
      sum += angular->weights()[q] * kernel(s, s_prime, angular->nodes()[q]);
    return sum;
  }

  double
  KernelLimit::integrated_step_size(double t) const
  {
    // 4-point Gauss on intervals of length <= 0.01: exact to round-off for
    // smooth schedules over the time spans mfdd runs.
    const unsigned int      n_intervals = std::max(1., std::ceil(t / 0.01));
    const double            h           = t / n_intervals;
    const dealii::QGauss<1> gauss(4);
    double                  integral = 0.;
    for (unsigned int i = 0; i < n_intervals; ++i)
      for (unsigned int q = 0; q < gauss.size(); ++q)
        integral += h * gauss.weight(q) * problem.xi(h * (i + gauss.point(q)[0]));
    return integral;
  }

  dealii::Vector<double>
  KernelLimit::residual(double t) const
  {
    const double           time = 2. * integrated_step_size(t);
    dealii::Vector<double> coefficients(initial_coefficients), result(law.size());
    for (unsigned int i = 0; i < coefficients.size(); ++i)
      coefficients[i] *= std::exp(-lambda[i] * time);
    eigenvectors.vmult(result, coefficients);
    return result;
  }

  double
  KernelLimit::residual_norm(double t) const
  {
    // The eigenvectors are orthonormal: the norm is that of the coefficients.
    const double time = 2. * integrated_step_size(t);
    double       sum  = remainder;
    for (unsigned int i = 0; i < initial_coefficients.size(); ++i)
      sum += std::pow(initial_coefficients[i] * std::exp(-lambda[i] * time), 2);
    return std::sqrt(sum);
  }

  double
  KernelLimit::risk(double t) const
  {
    return 1. - f_norm + std::pow(residual_norm(t), 2);
  }
} // namespace mfdd::ntk
