#include "activation_batch.h"

#include <cstring>

namespace mfdd::particles
{
  namespace
  {
    // Two values at a time (one SSE2 register) with explicit selects: a scalar loop with `?:`
    // is compiled to data-dependent branches, which mispredict for the random
    // pre-activations of SGD. Compiled for baseline x86-64 like model/, so
    // that s1 + slope (t - t1) is not contracted into an FMA: the same bits
    // as model::TruncatedReLU.
    typedef double    v2d __attribute__((vector_size(16)));
    typedef long long v2i __attribute__((vector_size(16)));

    v2d
    load(const double *p)
    {
      v2d v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
    void
    store(double *p, v2d v)
    {
      std::memcpy(p, &v, sizeof(v));
    }
    v2d
    broadcast(double s)
    {
      return v2d{s, s};
    }
  } // namespace

  double
  evaluate_activation(const model::Activation &sigma,
                      unsigned int             n,
                      double                  *h,
                      double                  *derivative,
                      const double            *weights)
  {
    const unsigned int blocked      = n - n % 2;
    unsigned int       first_scalar = 0;
    double             sum          = 0.;
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      {
        const double s1 = truncated->s1, s2 = truncated->s2, t1 = truncated->t1, t2 = truncated->t2,
                     slope = truncated->slope;
        const v2d    S1 = broadcast(s1), S2 = broadcast(s2), T1 = broadcast(t1), T2 = broadcast(t2),
                  SLOPE = broadcast(slope), ZERO = broadcast(0.);
        for (unsigned int i = 0; i < blocked; i += 2)
          {
            const v2d t      = load(h + i);
            const v2d linear = S1 + SLOPE * (t - T1);
            const v2i inside = (t >= T1) & (t < T2);
            store(derivative + i, inside ? SLOPE : ZERO);
            const v2d value  = t >= T2 ? S2 : (t <= T1 ? S1 : linear);
            store(h + i, value);
            sum += weights[i] * value[0];
            sum += weights[i + 1] * value[1];
          }
        first_scalar = blocked;
      }
    else if (dynamic_cast<const model::ReLU *>(&sigma))
      {
        const v2d ZERO = broadcast(0.), ONE = broadcast(1.);
        for (unsigned int i = 0; i < blocked; i += 2)
          {
            const v2d t = load(h + i);
            store(derivative + i, t >= ZERO ? ONE : ZERO);
            const v2d value = t > ZERO ? t : ZERO;
            store(h + i, value);
            sum += weights[i] * value[0];
            sum += weights[i + 1] * value[1];
          }
        first_scalar = blocked;
      }
    // The odd last value of the vector paths, or every value of another activation.
    for (unsigned int i = first_scalar; i < n; ++i)
      {
        const double t = h[i];
        derivative[i]  = sigma.derivative(t);
        h[i]           = sigma.value(t);
        sum += weights[i] * h[i];
      }
    return sum;
  }
} // namespace mfdd::particles
