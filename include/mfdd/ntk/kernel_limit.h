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
    /// Composite Gauss-Legendre on the law of s = |x| (RadialLaw): intervals per
    /// class and Gauss points per interval; the Galerkin space is the polynomials
    /// of degree radial_points - 1 on each interval. The quadrature in the
    /// neuron radius r uses radial_intervals equal intervals (plus the kink
    /// breakpoints) with 2 radial_points points each.
    unsigned int radial_intervals = 8;
    unsigned int radial_points    = 8;
    /// Gauss points per piece of the average over the cosine c ~ mu_d
    /// (DirectionAverage, and kernels::AngularQuadrature for the pointwise
    /// radial_kernel()); 0 chooses them; unused for d = 1.
    unsigned int angular_points = 0;
  };

  /**
   * The kernel limit of doc/theory.md §6 for isotropic data, trainable second
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
   * with H-bar(s, s') = int H(s, s', c) mu_d(dc). Averaging over the directions
   * of x and x' for a fixed neuron w = r omega first (DirectionAverage) writes
   * H-bar as a Gram kernel over the neuron radius r ~ kappa chi_d / sqrt(d):
   *
   *   H-bar(s, s') = E_r[ q_d(r s) q_d(r s') + E[a^2] s g_d(r s) s' g_d(r s') ].
   *
   * For the truncated ReLU H-bar has kinks along s'/s = 1, t1/t2, t2/t1 (d = 1:
   * c = +-1 carries mass) and weaker singularities there for d = 2, so a
   * Nystrom discretisation on the nodes of s converges only algebraically.
   * Instead the operator is discretised by Galerkin on the piecewise
   * polynomials V_h of RadialLaw's partition, with an orthonormal basis phi_i
   * of L2(p) on each interval:
   *
   *   A_ij = E_r[ beta_i(r) beta_j(r) + E[a^2] gamma_i(r) gamma_j(r) ],
   *   beta_i(r) = int phi_i(s) q_d(r s) p(ds),  gamma_i(r) = int phi_i(s) s g_d(r s) p(ds).
   *
   * The integrand of beta_i, gamma_i is singular only where r s = |t_k| (a kink
   * t_k of sigma), so the s-integrals are split there, and beta_i, gamma_i are
   * singular in r only where |t_k|/r hits a breakpoint of the partition, where
   * the r-integral is split; pieces ending at such a point use Gauss points
   * mapped by s = a + (b - a)(1 - cos(pi u))/2, which turns the endpoint
   * singularities (x - a)^{k/2} into analytic functions of u (and pieces next
   * to a singular point just outside use x = x0 + v^2, v linear). So A is computed
   * to round-off, and the exact Galerkin operator converges as fast as
   * piecewise polynomials approximate the (smooth) residual.
   *
   * Time (mfdd convention, doc/theory.md §6): d_t u = -2 xi(t) H u, so
   *   u*_t = exp(-2 A Lambda(t)) u_0,  Lambda(t) = int_0^t xi,
   * which is doc/theory.md §6's exp(-H t_6) u_0 at §6 time t_6 = 2 Lambda(t).
   * The initial residual is the regression function f (f_alpha,0 = 0 because
   * E[a] = 0), and the risk is E[Var(y|x)] + |u*_t|^2; the part f - P f of f
   * outside V_h (P the L2(p) projection, below 1e-12 with the default
   * partition) is kept constant, so that the risk starts at exactly E[y^2] = 1.
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
    /// The symmetric matrix A of H in the orthonormal basis of V_h (before diagonalisation).
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

    /// The coordinates of P u*_t at mfdd time t in the orthonormal basis of V_h
    /// (their Euclidean norm is the L2(p) norm of P u*_t).
    dealii::Vector<double>
    residual(double t) const;
    /// |f - P f|^2_{L2(p)}: the part of the initial residual outside V_h.
    double
    projection_remainder() const
    {
      return remainder;
    }
    /// |u*_t|_{L2(P)} = sqrt(|P u*_t|^2 + |f - P f|^2)
    double
    residual_norm(double t) const;
    /// E[Var(y|x)] + |u*_t|^2
    double
    risk(double t) const;

  private:
    /// A, the coordinates of P f and |f - P f|^2 (see the class documentation).
    void
    assemble_galerkin_operator(const KernelLimitDiscretisation &discretisation);

    const model::Problem                           &problem;
    RadialLaw                                       law;
    std::shared_ptr<kernels::GaussianExpectations>  expectations;
    std::shared_ptr<kernels::AngularQuadrature>     angular;
    double                                          a_second_moment;
    dealii::FullMatrix<double>                      operator_matrix;
    dealii::Vector<double>                          lambda;
    dealii::FullMatrix<double>                      eigenvectors;
    /// Coordinates of P f in the orthonormal basis of V_h, and in the eigenvector basis.
    dealii::Vector<double>                          projected_initial;
    dealii::Vector<double>                          initial_coefficients;
    /// |f - P f|^2 and |f|^2 = E[f^2] (so E[Var(y|x)] = 1 - |f|^2)
    double                                          remainder = 0., f_norm = 0.;
  };

  /// E[a^2] for the initial law of a (closed forms for the uniform, bump and constant laws).
  double
  amplitude_second_moment(const model::InitialLaw &law);
} // namespace mfdd::ntk
