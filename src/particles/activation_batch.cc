#include "activation_batch.h"

namespace mfdd::particles
{
  void
  evaluate_activation(const model::Activation &sigma, unsigned int n, double *h, double *derivative)
  {
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      {
        const double s1 = truncated->s1, s2 = truncated->s2, t1 = truncated->t1, t2 = truncated->t2,
                     slope = truncated->slope;
        // Every piece computed, then selected: no data-dependent branches.
        for (unsigned int i = 0; i < n; ++i)
          {
            const double t      = h[i];
            const double linear = s1 + slope * (t - t1);
            const double lower  = t <= t1 ? s1 : linear;
            derivative[i]       = (t >= t1) & (t < t2) ? slope : 0.;
            h[i]                = t >= t2 ? s2 : lower;
          }
      }
    else if (dynamic_cast<const model::ReLU *>(&sigma) != nullptr)
      for (unsigned int i = 0; i < n; ++i)
        {
          const double t = h[i];
          derivative[i]  = t >= 0 ? 1. : 0.;
          h[i]           = t > 0 ? t : 0.;
        }
    else
      for (unsigned int i = 0; i < n; ++i)
        {
          const double t = h[i];
          derivative[i]  = sigma.derivative(t);
          h[i]           = sigma.value(t);
        }
  }
} // namespace mfdd::particles
