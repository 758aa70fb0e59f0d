#include <mfdd/ntk/direction_average.h>

#include <deal.II/base/quadrature_lib.h>

#include <algorithm>
#include <cmath>

namespace mfdd::ntk
{
  DirectionAverage::DirectionAverage(const model::Activation &sigma, unsigned int d, unsigned int n_points)
    : sigma(sigma)
    , d(d)
    , n_points(n_points == 0 ? 24 : n_points)
  {
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      kinks = {truncated->t1, truncated->t2};
    else if (dynamic_cast<const model::ReLU *>(&sigma))
      kinks = {0.};
    smooth = kinks.empty();
    for (const double t : kinks)
      if (t != 0.)
        singular.push_back(std::abs(t));
    std::sort(singular.begin(), singular.end());
    singular.erase(std::unique(singular.begin(), singular.end()), singular.end());

    const double pi = M_PI;
    theta_lower     = 0.;
    theta_upper     = pi;
    if (d > 2)
      {
        // sin^{d-2} theta < 1e-18 beyond pi/2 +- sqrt(82/(d-2)) (cos^2 x <= exp(-x^2))
        const double half_width = std::sqrt(82. / (d - 2.));
        theta_lower             = std::max(0., pi / 2 - half_width);
        theta_upper             = std::min(pi, pi / 2 + half_width);
      }
    // int_0^pi sin^{d-2} = sqrt(pi) Gamma((d-1)/2) / Gamma(d/2)
    if (d >= 2)
      normalisation = std::exp(std::lgamma(0.5 * d) - std::lgamma(0.5 * (d - 1.))) / std::sqrt(pi);
    const dealii::QGauss<1> gauss(this->n_points);
    for (unsigned int q = 0; q < gauss.size(); ++q)
      {
        gauss_points.push_back(gauss.point(q)[0]);
        gauss_weights.push_back(gauss.weight(q));
      }
  }

  void
  DirectionAverage::evaluate(double v, double &q, double &g) const
  {
    if (d == 1)
      {
        q = 0.5 * (sigma.value(v) + sigma.value(-v));
        g = 0.5 * (sigma.derivative(v) - sigma.derivative(-v));
        return;
      }
    // Breakpoints in c where v c crosses a kink (or grades towards tanh's centre), then in theta.
    std::vector<double> cosines;
    for (const double t : kinks)
      if (std::abs(t) < v)
        cosines.push_back(t / v);
    if (smooth && v > 0.)
      {
        cosines.push_back(0.);
        for (double c = 1. / v; c < 1.; c *= 2.)
          {
            cosines.push_back(c);
            cosines.push_back(-c);
          }
      }
    // Equal base pieces of length <= about four standard deviations of the weight.
    const double        length   = theta_upper - theta_lower;
    const unsigned int  n_pieces = std::ceil(length * std::sqrt(std::max(1., d - 2.)) / 4.);
    std::vector<double> thetas;
    for (unsigned int i = 0; i <= n_pieces; ++i)
      thetas.push_back(theta_lower + length * i / n_pieces);
    for (const double c : cosines)
      {
        const double theta = std::acos(c);
        if (theta > theta_lower && theta < theta_upper)
          thetas.push_back(theta);
      }
    std::sort(thetas.begin(), thetas.end());

    q = g = 0.;
    for (unsigned int i = 0; i + 1 < thetas.size(); ++i)
      {
        const double h = thetas[i + 1] - thetas[i];
        if (h <= 0.)
          continue;
        for (unsigned int k = 0; k < gauss_points.size(); ++k)
          {
            const double theta = thetas[i] + h * gauss_points[k];
            const double c = std::cos(theta), weight = h * gauss_weights[k] * std::pow(std::sin(theta), d - 2.);
            q += weight * sigma.value(v * c);
            g += weight * c * sigma.derivative(v * c);
          }
      }
    q *= normalisation;
    g *= normalisation;
  }
} // namespace mfdd::ntk
