#pragma once

#include <mfdd/model/activation.h>

namespace mfdd::particles
{
  /**
   * sigma and sigma' at the n values @p h: sigma overwrites h, sigma' goes to
   * @p derivative. The truncated
   * ReLU and the ReLU, whose evaluation is a few comparisons, are evaluated
   * inline (same formulas as model/, so the same bits) instead of by two
   * virtual calls per neuron; other activations use model::Activation.
   */
  void
  evaluate_activation(const model::Activation &sigma, unsigned int n, double *h, double *derivative);
} // namespace mfdd::particles
