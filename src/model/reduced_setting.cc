#include <mfdd/model/reduced_setting.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include <cmath>
#include <stdexcept>

namespace mfdd::model
{
  double
  InitialLaw::amplitude_density(double a) const
  {
    if (a < a_lower || a > a_upper)
      return 0.;
    const double width = a_upper - a_lower;
    switch (a_law)
      {
        case AmplitudeLaw::uniform:
          return 1. / width;
        case AmplitudeLaw::bump:
          {
            const double x = 2. * (a - a_lower) / width - 1.;
            // (15/16)(1 - x^2)^2 integrates to one on [-1, 1].
            return (15. / 16.) * (1. - x * x) * (1. - x * x) * 2. / width;
          }
        case AmplitudeLaw::constant:
          break;
      }
    throw std::logic_error("the constant law of a has no density");
  }

  double
  InitialLaw::amplitude_mean() const
  {
    return 0.5 * (a_lower + a_upper);
  }

  double
  scaled_chi_density(double r, unsigned int m, unsigned int d, double kappa)
  {
    if (r <= 0.)
      return (m == 1 && r == 0.) ? std::sqrt(2. * d / M_PI) / kappa : 0.;
    // x = r sqrt(d)/kappa ~ chi_m: density x^{m-1} e^{-x^2/2} / (2^{m/2-1} Gamma(m/2))
    const double scale = std::sqrt(double(d)) / kappa;
    const double x     = r * scale;
    const double log_density =
      (m - 1.) * std::log(x) - 0.5 * x * x - (0.5 * m - 1.) * std::log(2.) - std::lgamma(0.5 * m);
    return scale * std::exp(log_density);
  }

  ReducedSetting::ReducedSetting(ReducedSettingKind kind, const DataModel &data, const InitialLaw &law)
    : setting_kind(kind)
    , data(data)
    , law(law)
  {}

  std::vector<std::string>
  ReducedSetting::coordinate_names() const
  {
    switch (setting_kind)
      {
        case ReducedSettingKind::radius:
          return {"r"};
        case ReducedSettingKind::amplitude_radius:
          return {"a", "r"};
        case ReducedSettingKind::two_radii:
          return {"r1", "r2"};
        case ReducedSettingKind::amplitude_two_radii:
          return {"a", "r1", "r2"};
      }
    return {};
  }

  void
  ReducedSetting::reduce(double a, const double *w, double *z) const
  {
    if (has_amplitude())
      z[0] = a;
    unsigned int i = 0;
    for (unsigned int b = 0; b < n_blocks(); ++b)
      {
        double sum = 0.;
        for (unsigned int j = 0; j < data.blocks()[b].size; ++j, ++i)
          sum += w[i] * w[i];
        z[first_radius() + b] = std::sqrt(sum);
      }
  }

  double
  ReducedSetting::initial_density(const double *z) const
  {
    double density = has_amplitude() ? law.amplitude_density(z[0]) : 1.;
    for (unsigned int b = 0; b < n_blocks(); ++b)
      density *= scaled_chi_density(radius(z, b), data.blocks()[b].size, data.dimension(), law.kappa);
    return density;
  }

  std::pair<std::vector<double>, std::vector<double>>
  ReducedSetting::initial_support(double tail) const
  {
    std::vector<double> lower, upper;
    if (has_amplitude())
      {
        lower.push_back(law.a_lower);
        upper.push_back(law.a_upper);
      }
    for (const auto &block : data.blocks())
      {
        // r^2 d / kappa^2 ~ chi^2_m
        boost::math::chi_squared_distribution<double> chi2(block.size);
        const double scale = law.kappa / std::sqrt(double(data.dimension()));
        lower.push_back(scale * std::sqrt(boost::math::quantile(chi2, tail)));
        upper.push_back(scale * std::sqrt(boost::math::quantile(boost::math::complement(chi2, tail))));
      }
    return {lower, upper};
  }
} // namespace mfdd::model

#include <deal.II/base/quadrature_lib.h>

namespace mfdd::model
{
  WeightedPoints
  initial_law_quadrature(const ReducedSetting &setting, unsigned int n_per_coordinate)
  {
    const unsigned int dim          = setting.dimension();
    const auto [lower, upper]       = setting.initial_support(1e-16);
    const dealii::QGauss<1> gauss(n_per_coordinate);
    WeightedPoints          result;
    unsigned int            n_points = 1;
    for (unsigned int k = 0; k < dim; ++k)
      n_points *= n_per_coordinate;
    std::vector<double> z(dim);
    for (unsigned int i = 0; i < n_points; ++i)
      {
        double       weight = 1.;
        unsigned int index  = i;
        for (unsigned int k = 0; k < dim; ++k, index /= n_per_coordinate)
          {
            const unsigned int q = index % n_per_coordinate;
            z[k] = lower[k] + (upper[k] - lower[k]) * gauss.point(q)[0];
            weight *= (upper[k] - lower[k]) * gauss.weight(q);
          }
        weight *= setting.initial_density(z.data());
        result.points.insert(result.points.end(), z.begin(), z.end());
        result.weights.push_back(weight);
      }
    return result;
  }
} // namespace mfdd::model
