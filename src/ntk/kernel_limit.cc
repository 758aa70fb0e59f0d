#include <mfdd/kernels/angular_quadrature.h>
#include <mfdd/kernels/gaussian_expectations.h>
#include <mfdd/ntk/kernel_limit.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/lac/lapack_full_matrix.h>

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

    const unsigned int n = law.size();
    operator_matrix.reinit(n, n);
    for (unsigned int k = 0; k < n; ++k)
      for (unsigned int l = 0; l <= k; ++l)
        operator_matrix(k, l) = operator_matrix(l, k) = std::sqrt(law.weights()[k] * law.weights()[l]) *
                                                        radial_kernel(law.nodes()[k], law.nodes()[l]);

    dealii::LAPACKFullMatrix<double> symmetric(n, n);
    symmetric = operator_matrix;
    symmetric.set_property(dealii::LAPACKSupport::symmetric);
    const double bound = std::numeric_limits<double>::max();
    symmetric.compute_eigenvalues_symmetric(-bound, bound, 0., lambda, eigenvectors);

    dealii::Vector<double> initial(n);
    for (unsigned int k = 0; k < n; ++k)
      initial[k] = std::sqrt(law.weights()[k]) * law.regression_values()[k];
    initial_coefficients.reinit(lambda.size());
    eigenvectors.Tvmult(initial_coefficients, initial);
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
    double       sum  = 0.;
    for (unsigned int i = 0; i < initial_coefficients.size(); ++i)
      sum += std::pow(initial_coefficients[i] * std::exp(-lambda[i] * time), 2);
    return std::sqrt(sum);
  }

  double
  KernelLimit::risk(double t) const
  {
    return law.conditional_variance() + std::pow(residual_norm(t), 2);
  }
} // namespace mfdd::ntk
