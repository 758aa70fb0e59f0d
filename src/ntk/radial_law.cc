#include <mfdd/ntk/radial_law.h>

#include <boost/math/distributions/chi_squared.hpp>

#include <deal.II/base/quadrature_lib.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mfdd::ntk
{
  namespace
  {
    /// log of the density of tau chi_d at s > 0.
    double
    log_scaled_chi_density(double s, double tau, unsigned int d)
    {
      const double x = s / tau;
      return (d - 1.) * std::log(x) - 0.5 * x * x - std::log(tau) - (0.5 * d - 1.) * std::log(2.) -
             std::lgamma(0.5 * d);
    }
  } // namespace

  RadialLaw::RadialLaw(const model::DataModel &data, unsigned int n_intervals, unsigned int n_points_per_interval)
  {
    if (data.blocks().size() != 1 || n_intervals == 0 || n_points_per_interval == 0)
      throw std::logic_error("RadialLaw needs isotropic data (one input block) and at least one node");
    d         = data.dimension();
    tau_plus  = data.blocks()[0].std_plus;
    tau_minus = data.blocks()[0].std_minus;

    // (s tau^-1)^2 ~ chi^2_d; keep the quantiles at tail mass 1e-17 on each side.
    const boost::math::chi_squared_distribution<double> chi2(d);
    const double                                        tail = 1e-17;
    const double                      x_lower = std::sqrt(boost::math::quantile(chi2, tail));
    const double                      x_upper = std::sqrt(boost::math::quantile(boost::math::complement(chi2, tail)));
    // f = tanh(L/2) with L(s) = A + B s^2 switches from -1 to 1 around s* (L(s*) = 0)
    // over a width 1/(B s*), much narrower than the classes' spread when Delta
    // is large: geometric breakpoints around s* resolve it (the poles of f sit
    // about that width off the real axis).
    const double B = 0.5 * (1. / (tau_minus * tau_minus) - 1. / (tau_plus * tau_plus));
    const double A = -double(d) * std::log(tau_plus / tau_minus);
    const double switch_point = std::sqrt(-A / B), switch_width = 1. / (B * switch_point);

    for (const double tau : {tau_plus, tau_minus})
      {
        const double lower = tau * x_lower, upper = tau * x_upper;
        for (unsigned int i = 0; i <= n_intervals; ++i)
          partition.push_back(lower + (upper - lower) * i / n_intervals);
        if (switch_point > lower && switch_point < upper)
          {
            partition.push_back(switch_point);
            for (double offset = 0.5 * switch_width; offset < upper - lower; offset *= 2.)
              for (const double b : {switch_point - offset, switch_point + offset})
                if (b > lower && b < upper)
                  partition.push_back(b);
          }
      }
    std::sort(partition.begin(), partition.end());
    const double length = partition.back() - partition.front();
    std::vector<double> distinct{partition.front()};
    for (const double b : partition)
      if (b - distinct.back() > 1e-12 * length)
        distinct.push_back(b);
    distinct.back() = partition.back();
    partition       = distinct;

    n_points = n_points_per_interval;
    const dealii::QGauss<1> gauss(n_points_per_interval);
    for (unsigned int i = 0; i + 1 < partition.size(); ++i)
      {
        const double h = partition[i + 1] - partition[i];
        for (unsigned int q = 0; q < gauss.size(); ++q)
          {
            const double node = partition[i] + h * gauss.point(q)[0];
            s.push_back(node);
            w.push_back(h * gauss.weight(q) * density(node));
          }
      }
    for (const double node : s)
      f.push_back(regression_function(node));
  }

  double
  RadialLaw::density(double s) const
  {
    return 0.5 * (std::exp(log_scaled_chi_density(s, tau_plus, d)) + std::exp(log_scaled_chi_density(s, tau_minus, d)));
  }

  double
  RadialLaw::regression_function(double s) const
  {
    // The factors s^{d-1} cancel in the log ratio of the class densities.
    const double log_ratio =
      -double(d) * std::log(tau_plus / tau_minus) - 0.5 * s * s * (1. / (tau_plus * tau_plus) - 1. / (tau_minus * tau_minus));
    return std::tanh(0.5 * log_ratio);
  }

  double
  RadialLaw::conditional_variance() const
  {
    double second_moment = 0.;
    for (unsigned int k = 0; k < s.size(); ++k)
      second_moment += w[k] * f[k] * f[k];
    return 1. - second_moment;
  }
} // namespace mfdd::ntk
