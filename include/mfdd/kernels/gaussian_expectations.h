// Gaussian expectations of an activation: the building blocks of every
// population kernel (doc/theory.md §1, §4).
#pragma once

#include <mfdd/kernels/normal_distribution.h>
#include <mfdd/model/activation.h>

#include <memory>

namespace mfdd::kernels
{
  /**
   * Expectations of sigma under centred Gaussians. Pair expectations take the
   * jointly Gaussian (X, X') by its standard deviations sx, sxp >= 0 and its
   * covariance C (|C| <= sx sxp): this parametrisation keeps every derivative
   * bounded as a radius tends to zero, and Price's theorem gives the derivative
   * in C as the pair expectation of sigma'.
   */
  class GaussianExpectations
  {
  public:
    virtual ~GaussianExpectations() = default;

    /// The implementation for @p sigma: closed forms for the ReLU family, quadrature for tanh
    /// (which keeps a reference to @p sigma: it must outlive the returned object).
    static std::shared_ptr<GaussianExpectations>
    create(const model::Activation &sigma);

    /// q(s) = E[sigma(s G)], s >= 0.
    virtual double
    q(double s) const = 0;
    /// q'(s) = E[G sigma'(s G)].
    virtual double
    dq(double s) const = 0;
    /// E[sigma(s G)^2].
    double
    second_moment(double s) const
    {
      return pair(s, s, s * s);
    }

    /// E[sigma(X) sigma(X')].
    virtual double
    pair(double sx, double sxp, double C) const = 0;

    /**
     * Normalised Hermite coefficients a_k(s) = E[sigma(s G) He_k(G)] / sqrt(k!),
     * k = 0 .. n-1, written to @p a. Mehler's formula then gives the pair
     * expectation as a power series in the correlation rho = C / (sx sxp):
     *
     *   E[sigma(X) sigma(X')] = sum_k a_k(sx) a_k(sxp) rho^k,
     *
     * whose tail after n terms is at most |rho|^n sqrt(E sigma(X)^2 E sigma(X')^2)
     * (Cauchy-Schwarz and Parseval).
     */
    virtual void
    hermite_coefficients(double s, unsigned int n, double *a) const = 0;
    /// How many of the coefficients above are accurate to rounding (the
    /// closed forms: all; quadrature: as many as its rule resolves).
    virtual unsigned int
    accurate_hermite_coefficients() const = 0;
    /// Relative accuracy of the expectations (closed forms: rounding; quadrature: its convergence).
    virtual double
    relative_accuracy() const = 0;

    struct PairWithDerivatives
    {
      double value; ///< E[sigma(X) sigma(X')]
      double d_sx;  ///< derivative in sx at fixed sxp, C  (= sx E[sigma''(X) sigma(X')])
      double d_sxp; ///< derivative in sxp at fixed sx, C
      double d_C;   ///< derivative in C (= E[sigma'(X) sigma'(X')], Price's theorem)
    };
    /// The pair expectation and its partial derivatives; sx, sxp are clamped
    /// to at least 1e-100 (the derivatives' limits as a radius tends to zero).
    virtual PairWithDerivatives
    pair_with_derivatives(double sx, double sxp, double C) const = 0;

    /// E[sigma'(X) sigma'(X')] (the NTK's derivative part).
    virtual double
    derivative_pair(double sx, double sxp, double C) const = 0;
    /// E[sigma(X) sigma'(X')].
    virtual double
    mixed_pair(double sx, double sxp, double C) const = 0;
  };
} // namespace mfdd::kernels
