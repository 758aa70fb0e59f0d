// compare/ owns the comparison of evolutions through what they hand over
// (model::ReducedLawTrajectory): gaps between snapshots (risk, Wasserstein-1,
// test functions), their statistics over seeds, fitted convergence rates and
// the `compare` and `study` drivers. It sees nothing of how an evolution is
// computed (no meshes, no neurons' full weights).
#pragma once

#include <vector>

namespace mfdd::compare
{
  /// Sample mean of a set of values with the half-width of its 95% confidence
  /// interval, mean +- t_{0.975, n-1} s / sqrt(n) (Student's t; s the sample
  /// standard deviation). The half-width is NaN for fewer than two values.
  struct MeanInterval
  {
    double       mean       = 0.;
    double       std_dev    = 0.;
    double       half_width = 0.;
    unsigned int n          = 0;
  };

  /// NaN values are skipped (a metric not recorded for one seed).
  MeanInterval
  mean_with_interval(const std::vector<double> &values);

  /// Two-sided 95% quantile t_{0.975, dof} of Student's t distribution.
  double
  t_quantile_95(unsigned int degrees_of_freedom);

  /**
   * A power law y = C x^p fitted by least squares on (log x, log y), with the
   * 95% confidence interval of p from the t distribution with n - 2 degrees of
   * freedom: p +- t_{0.975, n-2} sqrt(SSR/(n-2) / S_xx). Points whose x or y is
   * not positive and finite are skipped; with fewer than two distinct x the
   * exponent is NaN, with two points the half-width is NaN.
   */
  struct PowerLawFit
  {
    double       exponent   = 0.;
    double       half_width = 0.;
    double       prefactor  = 0.;
    unsigned int n_points   = 0;
  };

  PowerLawFit
  fit_power_law(const std::vector<double> &x, const std::vector<double> &y);

  /**
   * The power law E(x) = C x^p of the mean of y over the values that share an
   * x (the seeds of a configuration): weighted least squares on (log x,
   * log mean), each point weighted by the inverse of var(log mean) = s^2/(n
   * mean^2) (delta method). The 95% half-width is t_{0.975, n-1} (n the
   * fewest values at one x) times the slope's standard error, widened by the
   * Birge ratio sqrt(chi^2/(k-2)) when the k means scatter about the line more
   * than their error bars allow. If every x has values without spread, the
   * means are exact and so is the slope (half-width 0); otherwise, with a
   * single value at some x, the fit is unweighted and its interval comes from
   * the residuals, as fit_power_law().
   * n_points counts the values used.
   */
  PowerLawFit
  fit_power_law_of_means(const std::vector<double> &x, const std::vector<double> &y);

  /// Sample standard deviation s of a set of values (NaNs skipped) with its
  /// 95% confidence interval for normal values, s sqrt((n-1)/chi^2_{0.975, n-1})
  /// to s sqrt((n-1)/chi^2_{0.025, n-1}); NaN for fewer than two values.
  struct StdDevInterval
  {
    double       std_dev = 0.;
    double       lower   = 0.;
    double       upper   = 0.;
    unsigned int n       = 0;
  };

  StdDevInterval
  std_dev_with_interval(const std::vector<double> &values);

  /**
   * The power law s(x) = C x^p of the standard deviation of y over the values
   * that share an x (the seeds of a configuration): weighted least squares on
   * (log x, log s), each point weighted by the inverse of var(log s) =
   * 1/(2(n-1)) (normal values), the half-width and the Birge ratio as in
   * fit_power_law_of_means. Points with fewer than two values or s = 0 are
   * skipped.
   */
  PowerLawFit
  fit_power_law_of_std_devs(const std::vector<double> &x, const std::vector<double> &y);
} // namespace mfdd::compare
