#include <mfdd/compare/statistics.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace mfdd::compare
{
  namespace
  {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  }

  double
  t_quantile_95(unsigned int degrees_of_freedom)
  {
    if (degrees_of_freedom == 0)
      return nan;
    const boost::math::students_t distribution(degrees_of_freedom);
    return boost::math::quantile(boost::math::complement(distribution, 0.025));
  }

  MeanInterval
  mean_with_interval(const std::vector<double> &values)
  {
    MeanInterval result;
    double       sum = 0.;
    for (const double v : values)
      if (!std::isnan(v))
        {
          sum += v;
          ++result.n;
        }
    if (result.n == 0)
      return {nan, nan, nan, 0};
    result.mean = sum / result.n;
    if (result.n < 2)
      {
        result.std_dev = result.half_width = nan;
        return result;
      }
    double squares = 0.;
    for (const double v : values)
      if (!std::isnan(v))
        squares += (v - result.mean) * (v - result.mean);
    result.std_dev    = std::sqrt(squares / (result.n - 1));
    result.half_width = t_quantile_95(result.n - 1) * result.std_dev / std::sqrt(double(result.n));
    return result;
  }

  namespace
  {
    /// The weighted least-squares line through (lx, ly), weights w.
    struct Line
    {
      bool   defined = false; ///< false if all lx are equal (no slope to fit)
      double slope = nan, intercept = nan;
      double sxx = nan; ///< sum w (lx - mean)^2
      double chi2 = nan; ///< sum w residual^2
    };

    Line
    weighted_line(const std::vector<double> &lx, const std::vector<double> &ly, const std::vector<double> &w)
    {
      Line   line;
      double sw = 0., mx = 0., my = 0.;
      for (std::size_t i = 0; i < lx.size(); ++i)
        {
          sw += w[i];
          mx += w[i] * lx[i];
          my += w[i] * ly[i];
        }
      mx /= sw;
      my /= sw;
      double sxx = 0., sxy = 0.;
      for (std::size_t i = 0; i < lx.size(); ++i)
        {
          sxx += w[i] * (lx[i] - mx) * (lx[i] - mx);
          sxy += w[i] * (lx[i] - mx) * (ly[i] - my);
        }
      // All x equal (up to round-off relative to their size): no slope to fit.
      if (sxx <= 1e-24 * (1. + mx * mx) * sw)
        return line;
      line.defined   = true;
      line.slope     = sxy / sxx;
      line.intercept = my - line.slope * mx;
      line.sxx       = sxx;
      line.chi2      = 0.;
      for (std::size_t i = 0; i < lx.size(); ++i)
        {
          const double residual = ly[i] - my - line.slope * (lx[i] - mx);
          line.chi2 += w[i] * residual * residual;
        }
      return line;
    }

    /// Widens an interval when the k points scatter about the line more than
    /// their error bars allow (a power law that does not fit): sqrt of this
    /// factor, chi^2/(k-2) or 1.
    double
    birge_ratio(const Line &line, std::size_t k)
    {
      return k > 2 ? std::max(1., line.chi2 / (k - 2.)) : 1.;
    }

    /// The finite values of y at each positive, finite x.
    std::map<double, std::vector<double>>
    samples_by_x(const std::vector<double> &x, const std::vector<double> &y)
    {
      std::map<double, std::vector<double>> samples;
      for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
        if (x[i] > 0. && std::isfinite(x[i]) && std::isfinite(y[i]))
          samples[x[i]].push_back(y[i]);
      return samples;
    }

    /// Exponent and prefactor of @p line into @p fit; with unit weights and
    /// more than two points, the interval from the residuals.
    void
    set_from_line(const Line &line, std::size_t n_points, bool unit_weights, PowerLawFit &fit)
    {
      if (!line.defined)
        return;
      fit.exponent  = line.slope;
      fit.prefactor = std::exp(line.intercept);
      if (unit_weights && n_points > 2)
        fit.half_width = t_quantile_95(n_points - 2) * std::sqrt(line.chi2 / (n_points - 2.) / line.sxx);
    }
  } // namespace

  PowerLawFit
  fit_power_law(const std::vector<double> &x, const std::vector<double> &y)
  {
    std::vector<double> lx, ly;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (x[i] > 0. && y[i] > 0. && std::isfinite(x[i]) && std::isfinite(y[i]))
        {
          lx.push_back(std::log(x[i]));
          ly.push_back(std::log(y[i]));
        }
    PowerLawFit fit{nan, nan, nan, static_cast<unsigned int>(lx.size())};
    if (lx.size() >= 2)
      set_from_line(weighted_line(lx, ly, std::vector<double>(lx.size(), 1.)), lx.size(), true, fit);
    return fit;
  }

  PowerLawFit
  fit_power_law_of_means(const std::vector<double> &x, const std::vector<double> &y)
  {
    const auto samples = samples_by_x(x, y);

    // Per distinct x: log x, log of the mean and the variance of that log
    // (delta method, var(log m) = s^2 / (n m^2)).
    std::vector<double> lx, ly, variance;
    unsigned int        n_values = 0, fewest = std::numeric_limits<unsigned int>::max();
    for (const auto &[xi, values] : samples)
      {
        const auto m = mean_with_interval(values);
        if (!(m.mean > 0.))
          continue;
        lx.push_back(std::log(xi));
        ly.push_back(std::log(m.mean));
        variance.push_back(m.n > 1 ? m.std_dev * m.std_dev / (m.n * m.mean * m.mean) : nan);
        n_values += m.n;
        fewest = std::min(fewest, m.n);
      }
    PowerLawFit fit{nan, nan, nan, n_values};
    const auto  k = lx.size();
    if (k < 2)
      return fit;
    const bool known = std::all_of(variance.begin(), variance.end(), [](double v) { return v > 0.; });
    const bool exact = std::all_of(variance.begin(), variance.end(), [](double v) { return v == 0.; });
    std::vector<double> w(k, 1.);
    if (known)
      for (std::size_t i = 0; i < k; ++i)
        w[i] = 1. / variance[i];
    const Line line = weighted_line(lx, ly, w);
    set_from_line(line, k, !known && !exact, fit);
    if (!line.defined)
      return fit;
    if (exact)
      fit.half_width = 0.; // every seed gave the same value: the means are exact
    else if (known)
      fit.half_width = t_quantile_95(fewest - 1) * std::sqrt(birge_ratio(line, k) / line.sxx);
    return fit;
  }

  StdDevInterval
  std_dev_with_interval(const std::vector<double> &values)
  {
    const auto m = mean_with_interval(values);
    if (m.n < 2)
      return {nan, nan, nan, m.n};
    const boost::math::chi_squared chi2(m.n - 1);
    const double                   scale = std::sqrt(m.n - 1.);
    return {m.std_dev,
            m.std_dev * scale / std::sqrt(boost::math::quantile(boost::math::complement(chi2, 0.025))),
            m.std_dev * scale / std::sqrt(boost::math::quantile(chi2, 0.025)),
            m.n};
  }

  PowerLawFit
  fit_power_law_of_std_devs(const std::vector<double> &x, const std::vector<double> &y)
  {
    const auto samples = samples_by_x(x, y);
    std::vector<double> lx, ly, w;
    unsigned int        n_values = 0, fewest = std::numeric_limits<unsigned int>::max();
    for (const auto &[xi, values] : samples)
      {
        const auto s = mean_with_interval(values);
        if (s.n < 2 || !(s.std_dev > 0.))
          continue;
        lx.push_back(std::log(xi));
        ly.push_back(std::log(s.std_dev));
        w.push_back(2. * (s.n - 1.));
        n_values += s.n;
        fewest = std::min(fewest, s.n);
      }
    PowerLawFit fit{nan, nan, nan, n_values};
    if (lx.size() < 2)
      return fit;
    const Line line = weighted_line(lx, ly, w);
    set_from_line(line, lx.size(), false, fit);
    if (line.defined)
      fit.half_width = t_quantile_95(fewest - 1) * std::sqrt(birge_ratio(line, lx.size()) / line.sxx);
    return fit;
  }
} // namespace mfdd::compare
