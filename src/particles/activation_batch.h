#pragma once

#include <mfdd/model/activation.h>

namespace mfdd::particles
{
  /**
   * sigma and sigma' at the n values @p h: sigma overwrites h, sigma' goes to
   * @p derivative. Returns sum_i weights[i] sigma(h_i), summed in the order
   * i = 0, 1, ... (this rank's part of the network output): summed here, the
   * serial chain of additions overlaps with the evaluation. The truncated
   * ReLU and the ReLU, whose evaluation is a few comparisons, are evaluated
   * inline (same formulas as model/, so the same bits) instead of by two
   * virtual calls per neuron; other activations use model::Activation.
   */
  double
  evaluate_activation(const model::Activation &sigma,
                      unsigned int             n,
                      double                  *h,
                      double                  *derivative,
                      const double            *weights);
} // namespace mfdd::particles
