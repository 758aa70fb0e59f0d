#pragma once

#include <mfdd/model/activation.h>

#include <vector>

namespace mfdd::ntk
{
  /**
   * An activation averaged over the direction of the input: for v >= 0 and
   * c ~ mu_d (the cosine between a fixed and a uniform direction in R^d),
   *
   *   q_d(v) = E[sigma(v c)],    g_d(v) = E[c sigma'(v c)].
   *
   * They are the features of the kernel limit: a neuron w = r omega sees a
   * radial function of x = s e only through E_e[sigma(<w, x>)] = q_d(r s) and
   * E_e[sigma'(<w, x>) x] = s g_d(r s) omega.
   *
   * d = 1: c = +-1 with probability 1/2. d >= 2: Gauss-Legendre in
   * theta = arccos c (density ∝ sin^{d-2} theta, restricted to
   * pi/2 +- sqrt(82/(d-2)) where it exceeds 1e-18 of its peak), on pieces
   * split where v c crosses a kink of sigma (the ReLUs: sigma is a polynomial
   * in c between them, so every piece is integrated to round-off), and for
   * tanh around c = 0 at c = +-2^j/v (tanh(v c) has poles at distance
   * pi/(2v) from the real axis). As functions of v, q_d and g_d are singular
   * only at v = |t_k| for the kinks t_k != 0, like (v - |t_k|)^{(d-1)/2}
   * (g_d) and (v - |t_k|)^{(d+1)/2} (q_d): kinks() lists them so that
   * integrals over v can be split there.
   */
  class DirectionAverage
  {
  public:
    /// @p n_points: Gauss points per piece in theta (0 chooses 24).
    DirectionAverage(const model::Activation &sigma, unsigned int d, unsigned int n_points = 0);

    /// Writes q_d(v) and g_d(v) for v >= 0.
    void
    evaluate(double v, double &q, double &g) const;

    /// The points |t_k| > 0 where q_d or g_d is not smooth.
    const std::vector<double> &
    singular_points() const
    {
      return singular;
    }

  private:
    const model::Activation &sigma;
    unsigned int             d, n_points;
    /// kinks of sigma in t; for a smooth sigma (tanh) the empty list
    std::vector<double> kinks, singular;
    bool                smooth;
    /// theta window and the normalisation 1 / int_0^pi sin^{d-2}
    double theta_lower, theta_upper, normalisation;
    std::vector<double> gauss_points, gauss_weights;
  };
} // namespace mfdd::ntk
