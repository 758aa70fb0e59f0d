// ntk/ owns the kernel (lazy) limit of doc/theory.md §6 for isotropic data with a
// trainable second layer: the law of |x| and the target E[y | x] as functions
// of s = |x|, the radial kernel operator H_{rho_0}, its exponential, and the
// finite-N tangent (linearised) model. It knows nothing of meshes or of the
// PDE's and SGD's internals: the `kernel` command hands their results over.
//
// Time convention: mfdd time t is the (DD) time for every
// alpha, so the residual obeys d_t u = -2 xi(t) H_{rho_t} u and the kernel
// limit is u*_t = exp(-2 H_{rho_0} int_0^t xi) u_0, i.e. doc/theory.md §6's
// (kernel limit) at §6 time 2 int_0^t xi.
#pragma once

#include <mfdd/model/data_model.h>

#include <vector>

namespace mfdd::ntk
{
  /**
   * The law of s = |x| for isotropic Gaussian classes, the mixture
   * (1/2) tau_+ chi_d + (1/2) tau_- chi_d, discretised by composite
   * Gauss-Legendre quadrature on one partition of s: for each class,
   * @p n_intervals equal intervals on the part of the support of tau_+- chi_d
   * outside which it has mass below 1e-17, plus geometrically graded
   * breakpoints around the point where the class densities cross, where f
   * switches sign over a short distance; the union of both classes'
   * breakpoints is the partition, with @p n_points_per_interval Gauss points
   * on each interval and weights carrying the mixture density. The quadrature
   * is exact up to round-off and the neglected tails for smooth integrands,
   * since both densities are smooth.
   *
   * Alongside the nodes it holds the regression function f(s) = E[y | x],
   * which depends on x only through s: f = (p_+ - p_-)/(p_+ + p_-) with p_+-
   * the class densities of s.
   */
  class RadialLaw
  {
  public:
    RadialLaw(const model::DataModel &data, unsigned int n_intervals, unsigned int n_points_per_interval);

    const std::vector<double> &
    nodes() const
    {
      return s;
    }
    const std::vector<double> &
    weights() const
    {
      return w;
    }
    unsigned int
    size() const
    {
      return s.size();
    }
    /// The partition of s: interval i is [breakpoints()[i], breakpoints()[i+1]]
    /// and holds the nodes i * points_per_interval() .. (i + 1) * points_per_interval() - 1.
    const std::vector<double> &
    breakpoints() const
    {
      return partition;
    }
    unsigned int
    points_per_interval() const
    {
      return n_points;
    }

    /// The density of s (the mixture of the two classes) at s > 0.
    double
    density(double s) const;

    /// f(s) = E[y | |x| = s] = tanh(log(p_+(s)/p_-(s)) / 2).
    double
    regression_function(double s) const;
    /// f at the nodes.
    const std::vector<double> &
    regression_values() const
    {
      return f;
    }

    /// E[Var(y | x)] = 1 - E[f^2], the part of every risk no predictor removes.
    double
    conditional_variance() const;

  private:
    unsigned int        d, n_points;
    double              tau_plus, tau_minus;
    std::vector<double> partition, s, w, f;
  };
} // namespace mfdd::ntk
