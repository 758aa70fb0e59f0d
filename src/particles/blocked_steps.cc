// SGD in blocks of m steps (doc/theory.md §10): the products and the updates
// of a block are matrix-matrix products over the weights, read once per block
// instead of once per step.
#include <mfdd/io/input_error.h>
#include <mfdd/particles/sgd.h>

#include "activation_batch.h"
#include "activity_pattern.h"
#include "linear_algebra.h"
#include "ordered_sum.h"
#include "weight_panels.h"

#include <algorithm>
#include <cmath>

namespace mfdd::particles
{
  void
  SgdSimulator::block_samples(unsigned long first_step, unsigned int n, std::vector<double> &x, std::vector<double> &y) const
  {
    const unsigned int B = parameters.batch_size;
    x.resize(std::size_t(n) * B * d);
    y.resize(std::size_t(n) * B);
    std::vector<double> xs, ys;
    for (unsigned int j = 0; j < n; ++j)
      {
        samples(first_step + j, xs, ys);
        std::copy(xs.begin(), xs.end(), x.begin() + std::size_t(j) * B * d);
        std::copy(ys.begin(), ys.end(), y.begin() + std::size_t(j) * B);
      }
  }

  /**
   * What blocked_steps() keeps from one call to the next: the weights in
   * panels (while holds_weights, SgdSimulator::w is out of date) and the
   * arrays of a block, allocated once. Per sample c = j B + b of the block
   * and neuron (see WeightPanels): H the products with the block's first
   * weights, C the factors of the updates (0 beyond n_mine; kept by the
   * pattern instead). Per sample of the step, one row of n_padded(): sigma
   * (h) and sigma' (derivative).
   */
  struct BlockWorkspace
  {
    /// For blocks of @p columns samples, @p B a step, over @p n neurons
    /// (@p trainable: a second layer that learns; @p by_pattern: factors kept as bits).
    BlockWorkspace(const model::Activation &sigma, unsigned int n, unsigned int columns, unsigned int B,
                   bool trainable, bool by_pattern)
      : pattern(sigma)
    {
      const std::size_t np = WeightPanels::padded(n);
      H.resize(columns * np);
      C.assign(by_pattern ? 0 : columns * np, 0.);
      h.resize(B * np);
      derivative.resize(by_pattern ? 0 : B * np);
      gram.resize(std::size_t(columns) * columns);
      increment.resize(trainable ? n : 0);
      prediction.resize(B);
      coefficient.resize(B);
    }

    WeightPanels        panels;
    bool                holds_weights = false;
    ActivityPattern     pattern;
    std::vector<double> H, C, h, derivative, gram, increment, prediction, coefficient, x, y, x_next, y_next;
  };

  void
  SgdSimulator::restore_weights() const
  {
    if (block_workspace && block_workspace->holds_weights)
      {
        block_workspace->panels.unpack(w.data());
        block_workspace->holds_weights = false;
      }
  }

  double
  SgdSimulator::blocked_steps(unsigned long end, bool keep_block_layout)
  {
    if (k >= end)
      return 0.;
    const unsigned int B = parameters.batch_size, m = parameters.steps_per_block(problem);
    const bool         trainable = problem.trainable_second_layer;
    const unsigned int columns = m * B;
    // The ReLUs with a fixed second layer: C(c, l) = u_c [sigma' != 0], kept
    // as bits, and the correction and the update by table lookups
    // (ActivityPattern, WeightPanels).
    const double derivative_value = ActivityPattern::derivative_value(problem);
    const bool   by_pattern       = derivative_value != 0.;
    if (!block_workspace)
      block_workspace =
        std::make_shared<BlockWorkspace>(*problem.activation, n_mine, columns, B, trainable, by_pattern);
    auto &ws = *block_workspace;
    if (!ws.holds_weights)
      ws.panels.pack(w.data(), n_mine, d, columns);
    ws.holds_weights           = true;
    WeightPanels      &panels  = ws.panels;
    ActivityPattern   &pattern = ws.pattern;
    const unsigned int np      = panels.n_padded();
    std::vector<double> &H = ws.H, &C = ws.C, &h = ws.h, &derivative = ws.derivative, &gram = ws.gram,
                        &increment = ws.increment, &prediction = ws.prediction, &coefficient = ws.coefficient;
    const auto at = [columns](unsigned int c, unsigned int l) {
      return (std::size_t(l / WeightPanels::width) * columns + c) * WeightPanels::width + l % WeightPanels::width;
    };
    std::vector<double> &x = ws.x, &y = ws.y, &x_next = ws.x_next, &y_next = ws.y_next;
    unsigned int        n_steps = std::min<unsigned long>(m, end - k);
    block_samples(k, n_steps, x, y);
    panels.multiply(x.data(), n_steps * B, H.data());

    double loss = 0.;
    while (true)
      {
        const unsigned int M = n_steps * B;
        if (by_pattern)
          pattern.reinit(np / WeightPanels::width, columns);
        // gram[c M + i] = <x_i, x_c> for i < c.
        for (unsigned int c = 0; c < M; ++c)
          multiply_rows(x.data(), c, d, &x[std::size_t(c) * d], &gram[c * M]);
        // Within the block W_j = P_j V_j, P_j the product of the decays
        // 1 - 2 lambda s of the steps before j, V_j = V_0 + sum of the
        // updates of the earlier steps divided by P after them (C holds them so).
        double scale = 1.;
        for (unsigned int j = 0; j < n_steps; ++j, ++k)
          {
            const double s = step_size(k);
            for (unsigned int b = 0; b < B; ++b)
              {
                const unsigned int c = j * B + b;
                if (by_pattern)
                  {
                    pattern.correct_and_activate(H.data(), c, &gram[c * M], j * B, scale, n_mine,
                                                 &h[std::size_t(b) * np]);
                    continue;
                  }
                correct_products(H.data(), C.data(), columns, c, &gram[c * M], j * B, scale,
                                 np / WeightPanels::width, &h[std::size_t(b) * np]);
                evaluate_activation(*problem.activation, n_mine, &h[std::size_t(b) * np],
                                    &derivative[std::size_t(b) * np]);
              }
            output_sum->sum(a.data(), h.data(), np, B, prediction.data());
            loss += step_coefficients(&y[j * B], prediction.data(), s, k, coefficient.data());
            // As update(): factor sigma' (c_b a_l) and the amplitude increment
            // sum_b c_b sigma, both at the old a; then the decay.
            const double decay = 1. - 2. * problem.weight_decay * s;
            scale *= decay;
            std::fill(increment.begin(), increment.end(), 0.);
            for (unsigned int b = 0; b < B; ++b)
              {
                const unsigned int c = j * B + b;
                if (by_pattern)
                  {
                    const double factor = derivative_value * coefficient[b];
                    pattern.record(c, scale != 1. ? factor / scale : factor);
                    continue;
                  }
                const double *dsigma = &derivative[std::size_t(b) * np];
                const double *value  = &h[std::size_t(b) * np];
                for (unsigned int l = 0; l < n_mine; ++l)
                  {
                    if (trainable)
                      increment[l] += coefficient[b] * value[l];
                    const double factor = dsigma[l] * (coefficient[b] * a[l]);
                    C[at(c, l)]         = scale != 1. ? factor / scale : factor;
                  }
              }
            if (trainable)
              for (unsigned int l = 0; l < n_mine; ++l)
                a[l] = a[l] * decay + increment[l];
          }
        // W = P (V_0 + C x), fused with the next block's products.
        const unsigned int next = std::min<unsigned long>(m, end - k);
        if (next > 0)
          block_samples(k, next, x_next, y_next);
        UpdateFactors factors;
        if (by_pattern)
          factors = pattern.update_factors();
        else
          factors.dense = C.data();
        panels.update_and_multiply(factors, x.data(), M, scale, x_next.data(), next * B, H.data());
        if (next == 0)
          break;
        std::swap(x, x_next);
        std::swap(y, y_next);
        n_steps = next;
      }
    if (!keep_block_layout)
      restore_weights();
    return loss;
  }
} // namespace mfdd::particles
