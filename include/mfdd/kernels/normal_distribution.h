// The standard normal distribution in one and two dimensions, accurate in
// the tails: what the closed-form Gaussian expectations are made of.
#pragma once

namespace mfdd::kernels
{
  /// Standard normal density phi, lower tail Phi and upper tail 1 - Phi (accurate in the tails).
  double
  normal_pdf(double x);
  double
  normal_cdf(double x);
  double
  normal_upper_tail(double x);

  /// P(G1 > h, G2 > k) for standard normals of correlation rho in [-1, 1]
  /// (Genz's BVND algorithm, absolute error about 1e-15; rho = +-1 handled exactly).
  double
  bivariate_normal_upper(double h, double k, double rho);
} // namespace mfdd::kernels
