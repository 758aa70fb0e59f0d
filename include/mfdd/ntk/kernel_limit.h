#pragma once

#include <mfdd/model/problem.h>
#include <mfdd/ntk/radial_law.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <memory>

namespace mfdd::kernels
{
  class GaussianExpectations;
  class AngularQuadrature;
} // namespace mfdd::kernels

namespace mfdd::ntk
{
  /// Quadrature sizes of the kernel-limit operator.
  struct KernelLimitDiscretisation
  {
    /// Composite Gauss-Legendre on the law of s = |x| (RadialLaw), per class.
    unsigned int radial_intervals = 8;
    unsigned int radial_points    = 8;
    /// Nodes of kernels::AngularQuadrature for the average over the cosine
    /// c ~ mu_d (Gauss-Legendre in theta = arccos c); 0 lets it choose for
    /// about 1e-12 relative accuracy; unused for d = 1.
    unsigned int angular_points = 0;
  };

  /**
   * The kernel limit of SCIENCE.md §6 for isotropic data, trainable second
   * layer, w ~ N(0, kappa^2/d I) and a independent of w with E[a] = 0.
   *
   * Neural tangent kernel at initialisation. With sigma_*(x; a, w) =
   * a sigma(<w, x>), grad_theta sigma_* = (sigma(<w, x>), a sigma'(<w, x>) x), so
   *
   *   H(x, x') = E_w[sigma(<w,x>) sigma(<w,x'>)] + E[a^2] <x, x'> E_w[sigma'(<w,x>) sigma'(<w,x'>)],
   *
   * and (<w,x>, <w,x'>) is centred normal with standard deviations kappa s/sqrt(d),
   * kappa s'/sqrt(d) and correlation c = cos(x, x'), s = |x|, s' = |x'|:
   *
   *   H(s, s', c) = P_sigma(kappa s/sqrt d, kappa s'/sqrt d, c)
   *                 + E[a^2] s s' c P_sigma'(kappa s/sqrt d, kappa s'/sqrt d, c).
   *
   * On radial functions u(x) = u(|x|), (H u)(s) = int H-bar(s, s') u(s') p(ds')
   * with H-bar(s, s') = int H(s, s', c) mu_d(dc) (directions of x and x' are
   * independent and uniform). With RadialLaw's nodes s_k and weights omega_k the
   * operator becomes the symmetric matrix A_kl = sqrt(omega_k) H-bar(s_k, s_l)
   * sqrt(omega_l) acting on u-tilde_k = sqrt(omega_k) u(s_k), whose Euclidean
   * norm is the L2(P) norm of u.
   *
   * Time (mfdd convention, conventions.md): d_t u = -2 xi(t) H u, so
   *   u*_t = exp(-2 A Lambda(t)) u-tilde_0,  Lambda(t) = int_0^t xi,
   * which is SCIENCE.md §6's exp(-H t_6) u_0 at §6 time t_6 = 2 Lambda(t).
   * The initial residual is the regression function f (f_alpha,0 = 0 because
   * E[a] = 0), and the risk is E[Var(y|x)] + |u*_t|^2.
   */
  class KernelLimit
  {
  public:
    /// The problem must be isotropic with a trainable second layer and
    /// E[a] = 0 (std::logic_error otherwise: the caller checks its input).
    KernelLimit(const model::Problem &problem, const KernelLimitDiscretisation &discretisation);
    ~KernelLimit();

    /// H(x, x') for |x| = s, |x'| = s', cos(x, x') = c.
    double
    kernel(double s, double s_prime, double c) const;
    /// H-bar(s, s'): H averaged over c ~ mu_d.
    double
    radial_kernel(double s, double s_prime) const;

    const RadialLaw &
    radial_law() const
    {
      return law;
    }
    /// The symmetric matrix A (before diagonalisation).
    const dealii::FullMatrix<double> &
    matrix() const
    {
      return operator_matrix;
    }
    /// Eigenvalues of A in increasing order.
    const dealii::Vector<double> &
    eigenvalues() const
    {
      return lambda;
    }
    /// E[a^2] under the initial law.
    double
    amplitude_second_moment() const
    {
      return a_second_moment;
    }

    /// Lambda(t) = int_0^t xi(t') dt' (composite Gauss quadrature).
    double
    integrated_step_size(double t) const;

    /// u-tilde*_t at mfdd time t (entries sqrt(omega_k) u*_t(s_k)).
    dealii::Vector<double>
    residual(double t) const;
    /// |u*_t|_{L2(P)}
    double
    residual_norm(double t) const;
    /// E[Var(y|x)] + |u*_t|^2
    double
    risk(double t) const;

  private:
    const model::Problem                           &problem;
    RadialLaw                                       law;
    std::shared_ptr<kernels::GaussianExpectations>  expectations;
    std::shared_ptr<kernels::AngularQuadrature>     angular;
    double                                          a_second_moment;
    dealii::FullMatrix<double>                      operator_matrix;
    dealii::Vector<double>                          lambda;
    dealii::FullMatrix<double>                      eigenvectors;
    /// Coordinates of u-tilde_0 in the eigenvector basis.
    dealii::Vector<double>                          initial_coefficients;
  };

  /// E[a^2] for the initial law of a (closed forms for the uniform, bump and constant laws).
  double
  amplitude_second_moment(const model::InitialLaw &law);
} // namespace mfdd::ntk
