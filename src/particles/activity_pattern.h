// The triangular correction of a block of SGD steps (doc/theory.md §10) for
// the ReLUs with a fixed second layer, from bit patterns and table lookups.
#pragma once

#include <mfdd/model/problem.h>

#include "weight_panels.h"

#include <cstdint>
#include <vector>

namespace mfdd::particles
{
  /**
   * With a fixed second layer (a = 1) and an activation whose derivative
   * takes the values 0 and v only (ReLU: v = 1, truncated ReLU: the slope),
   * the update factor of neuron l for sample i of a block is
   * C(i, l) = u_i [sigma'(h_il) != 0]: one scalar u_i per sample times one bit.
   * The correction sum_{i < n} C(i, l) g_i of a later sample is then a sum of
   * table entries: for each group of 4 earlier samples, the 16 subset sums of
   * u_i g_i indexed by the neuron's 4 bits. Per neuron that is n / 4 lookups
   * instead of n multiply-adds over an N x n array that does not stay in
   * cache, so the block can be longer. The tables are the same on every rank
   * and each neuron adds its lookups in group order, so a neuron's arithmetic
   * does not depend on how the neurons are split over ranks.
   */
  class ActivityPattern
  {
  public:
    /// v if SGD on @p problem has such factors (fixed second layer, sigma'
    /// taking the values 0 and v only: the ReLUs), else 0.
    static double
    derivative_value(const model::Problem &problem);

    /// For SGD with @p sigma, one of the activations derivative_value() accepts.
    explicit ActivityPattern(const model::Activation &sigma);

    /// Clears the bits of a block of up to @p columns samples over @p n_panels panels of 8 neurons.
    void
    reinit(unsigned int n_panels, unsigned int columns);

    /**
     * The pre-activation t_l = scale (H(c, l) + sum_{i < n_previous} [bit il]
     * u_i g[i]) of every neuron (H stored by sample as in WeightPanels), then
     * in the same pass h[l] = sigma(t_l), with the bits of model::Activation,
     * and records sample @p c's bits [sigma'(t_l) != 0] for the first @p n
     * neurons (the others' cleared). With AVX-512 one pass over the neurons
     * instead of three (lookups, activation, bits).
     */
    void
    correct_and_activate(const double *H, unsigned int c, const double *g, unsigned int n_previous, double scale,
                         unsigned int n, double *h);

    /// Records sample @p c's scalar u_c = @p unit: with its bits (from
    /// correct_and_activate()) it joins the lookups of the later samples.
    void
    record(unsigned int c, double unit);

    /// The bits by neuron and group and the u_c, as UpdateFactors takes them.
    UpdateFactors
    update_factors() const
    {
      UpdateFactors factors;
      factors.unit     = units.data();
      factors.groups   = bits.data();
      factors.n_groups = n_groups;
      return factors;
    }

    /// sigma on the lookups' path: ReLU, or the truncated ReLU's constants.
    struct Ramp
    {
      bool   truncated = false;
      double s1 = 0., s2 = 0., t1 = 0., t2 = 0., slope = 0.;
    };

  private:
    const model::Activation *sigma;
    Ramp                     ramp;
    /// sigma' of one sample's neurons, on the path without AVX-512.
    std::vector<double> derivative;
    unsigned int n_panels = 0, n_groups = 0;
    /// Bits of sample 8 q + t of neuron 8 p + r: bit t of byte (p n_groups + q) 8 + r.
    std::vector<std::uint8_t> bits;
    /// u_c of each sample.
    std::vector<double> units;
    /// The subset sums of each group of 4 samples (16 per group).
    std::vector<double> tables;
  };
} // namespace mfdd::particles
