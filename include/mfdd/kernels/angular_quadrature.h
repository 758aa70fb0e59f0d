#pragma once

#include <vector>

namespace mfdd::kernels
{
  /**
   * Quadrature for mu_m, the law of the cosine c between two independent
   * uniform directions in R^m: mu_m(dc) ∝ (1 - c^2)^{(m-3)/2} dc, i.e. the
   * angle theta = arccos c has density ∝ sin^{m-2} theta on [0, pi].
   *
   * Gauss-Legendre in theta: the kernels are analytic in theta (while the ReLU
   * kernels have (1 -+ c)^{3/2} singularities in c), so the rule converges
   * geometrically. For large m the weight is restricted to
   * pi/2 +- sqrt(2 * 41 / (m - 2)) where sin^{m-2} theta < 1e-18. The weights
   * are normalised by the quadrature of the weight itself, so constants are
   * integrated exactly. m = 1: c = +-1 with weight 1/2 each.
   */
  class AngularQuadrature
  {
  public:
    /// @p n_nodes = 0 chooses the number of nodes from m for a relative accuracy of about 1e-12.
    explicit AngularQuadrature(unsigned int m, unsigned int n_nodes = 0);

    unsigned int
    size() const
    {
      return cosines.size();
    }
    const std::vector<double> &
    nodes() const
    {
      return cosines;
    }
    const std::vector<double> &
    weights() const
    {
      return node_weights;
    }
    /// sqrt(1 - c^2) at the nodes (exact from theta, no cancellation near c = +-1).
    const std::vector<double> &
    sines() const
    {
      return node_sines;
    }

  private:
    std::vector<double> cosines, node_sines, node_weights;
  };
} // namespace mfdd::kernels
