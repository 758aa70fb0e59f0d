#include "activation_batch.h"
#include "vector_registers.h"

namespace mfdd::particles
{
  namespace
  {
    // Four values at a time (GCC 12 splits the comparisons of eight-value
    // vectors into scalars) with explicit selects: a scalar loop with `?:`
    // is compiled to data-dependent branches, which mispredict for the random
    // pre-activations of SGD. This file is compiled without FMA contraction,
    // so that s1 + slope (t - t1) has the same bits as model::TruncatedReLU.
    typedef long long v4i __attribute__((vector_size(32)));

    __attribute__((always_inline)) inline v4d
    broadcast(double s)
    {
      return v4d{} + s;
    }
    // a where the mask (all bits set or none, from a comparison) is set, else b:
    // by bit operations, which GCC vectorises where it splits `?:` on a vector into scalars.
    __attribute__((always_inline)) inline v4d
    select(v4i mask, v4d a, v4d b)
    {
      return (v4d)(((v4i)a & mask) | ((v4i)b & ~mask));
    }
  } // namespace

  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
  evaluate_activation(const model::Activation &sigma, unsigned int n, double *h, double *derivative)
  {
    const unsigned int blocked      = n - n % 4;
    unsigned int       first_scalar = 0;
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      {
        const double s1 = truncated->s1, s2 = truncated->s2, t1 = truncated->t1, t2 = truncated->t2,
                     slope = truncated->slope;
        const v4d    S1 = broadcast(s1), S2 = broadcast(s2), T1 = broadcast(t1), T2 = broadcast(t2),
                  SLOPE = broadcast(slope), ZERO = broadcast(0.);
        for (unsigned int i = 0; i < blocked; i += 4)
          {
            const v4d t      = load_vector<v4d>(h + i);
            const v4d linear = S1 + SLOPE * (t - T1);
            const v4i inside = (t >= T1) & (t < T2);
            store_vector(derivative + i, select(inside, SLOPE, ZERO));
            const v4d value = select(t >= T2, S2, select(t <= T1, S1, linear));
            store_vector(h + i, value);
          }
        first_scalar = blocked;
      }
    else if (dynamic_cast<const model::ReLU *>(&sigma))
      {
        const v4d ZERO = broadcast(0.), ONE = broadcast(1.);
        for (unsigned int i = 0; i < blocked; i += 4)
          {
            const v4d t = load_vector<v4d>(h + i);
            store_vector(derivative + i, select(t >= ZERO, ONE, ZERO));
            const v4d value = select(t > ZERO, t, ZERO);
            store_vector(h + i, value);
          }
        first_scalar = blocked;
      }
    // The last n % 4 values of the vector paths, or every value of another activation.
    for (unsigned int i = first_scalar; i < n; ++i)
      {
        const double t = h[i];
        derivative[i]  = sigma.derivative(t);
        h[i]           = sigma.value(t);
      }
  }
} // namespace mfdd::particles
