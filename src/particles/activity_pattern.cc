#include "activity_pattern.h"
#include "activation_batch.h"
#include "vector_registers.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

namespace mfdd::particles
{
  namespace
  {
    // Byte r of spread[b] is bit r of b.
    const std::array<std::uint64_t, 256> spread = [] {
      std::array<std::uint64_t, 256> table{};
      for (unsigned int b = 0; b < 256; ++b)
        for (unsigned int r = 0; r < 8; ++r)
          table[b] |= std::uint64_t((b >> r) & 1) << (8 * r);
      return table;
    }();

    // Sets bit t of byte (p n_groups + q) 8 + r of @p bits (sample 8 q + t,
    // neuron 8 p + r) to bit r of @p byte.
    __attribute__((always_inline)) inline void
    record_bits(std::uint8_t *bits, unsigned int p, unsigned int n_groups, unsigned int c, std::uint8_t byte)
    {
      std::uint64_t word;
      std::uint8_t *bytes = bits + (std::size_t(p) * n_groups + c / 8) * 8;
      std::memcpy(&word, bytes, 8);
      word |= spread[byte] << (c % 8);
      std::memcpy(bytes, &word, 8);
    }

    // t = scale (H(c) + the table entries of each panel's bytes), 8 neurons
    // at a time: each byte indexes two tables of 16, by its low and its high
    // nibble (four samples each), added in that order; then h = sigma(t) and
    // the bits [sigma'(t) != 0] of the panel (lanes from n on cleared)
    // recorded as sample c's. sigma as model::Activation computes it: this file
    // is compiled without FMA contraction.
    //
    // AVX-512: a 16-entry table is two registers and one vpermt2pd looks up
    // all 8 lanes. At N = 1e5, d = 100 (perf, share of the products' time)
    // this took 1.7x fewer cycles than one gather per byte from tables of
    // 256, and the gather 1.4x fewer than scalar loads and inserts.
    __attribute__((target("arch=x86-64-v4"))) void
    lookups_and_activation_v4(const double *__restrict H, unsigned int c, std::uint8_t *bits,
                              unsigned int n_groups, const double *__restrict tables, unsigned int n_used,
                              double scale, unsigned int n_panels, const ActivityPattern::Ramp &ramp, unsigned int n,
                              double *__restrict h)
    {
      const __m512i low = _mm512_set1_epi64(15);
      const __m512d S1 = _mm512_set1_pd(ramp.s1), S2 = _mm512_set1_pd(ramp.s2), T1 = _mm512_set1_pd(ramp.t1),
                    T2 = _mm512_set1_pd(ramp.t2), SLOPE = _mm512_set1_pd(ramp.slope), ZERO = _mm512_setzero_pd();
      for (unsigned int p = 0; p < n_panels; ++p)
        {
          __m512d             acc   = _mm512_loadu_pd(H + (std::size_t(c) * n_panels + p) * 8);
          const std::uint8_t *bytes = bits + std::size_t(p) * n_groups * 8;
          for (unsigned int q = 0; q < n_used; ++q)
            {
              const double *t     = tables + q * 32;
              const __m512i index = _mm512_maskz_cvtepu8_epi64(
                0xff, _mm_loadl_epi64(reinterpret_cast<const __m128i *>(bytes + q * 8)));
              const __m512i low_nibble  = _mm512_and_si512(index, low);
              const __m512i high_nibble = _mm512_maskz_srli_epi64(0xff, index, 4);
              acc = _mm512_add_pd(acc, _mm512_permutex2var_pd(_mm512_loadu_pd(t), low_nibble, _mm512_loadu_pd(t + 8)));
              acc = _mm512_add_pd(
                acc, _mm512_permutex2var_pd(_mm512_loadu_pd(t + 16), high_nibble, _mm512_loadu_pd(t + 24)));
            }
          const __m512d  t     = _mm512_mul_pd(acc, _mm512_set1_pd(scale));
          const __mmask8 valid = 8 * p + 8 <= n ? 0xff : 8 * p < n ? (1u << (n - 8 * p)) - 1 : 0;
          __m512d        value;
          __mmask8       active;
          if (ramp.truncated)
            {
              const __m512d linear = _mm512_add_pd(S1, _mm512_mul_pd(SLOPE, _mm512_sub_pd(t, T1)));
              value  = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(t, T1, _CMP_LE_OQ), linear, S1);
              value  = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(t, T2, _CMP_GE_OQ), value, S2);
              active = _mm512_cmp_pd_mask(t, T1, _CMP_GE_OQ) & _mm512_cmp_pd_mask(t, T2, _CMP_LT_OQ);
            }
          else
            {
              value  = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(t, ZERO, _CMP_GT_OQ), ZERO, t);
              active = _mm512_cmp_pd_mask(t, ZERO, _CMP_GE_OQ);
            }
          _mm512_storeu_pd(h + std::size_t(p) * 8, value);
          // Sample c's bits join the lookups of the later samples only:
          // an earlier sample's group may hold c, but c's table weight is 0 there.
          record_bits(bits, p, n_groups, c, active & valid);
        }
    }

    // Without AVX-512 the pass stays three: the lookups, then the activation
    // by evaluate_activation() (vectorised without branches), then the bits.
    // A fused scalar pass measured slower (branches on the random
    // pre-activations): forced onto this path, 4.8-5.1k steps/s at
    // (10000, 100) and 77k at (1000, 40), against 5.2-6.2k and 100-111k
    // with the three passes (2026-12-07).
    __attribute__((target_clones("arch=x86-64-v3", "default"))) void
    add_lookups_scalar(const double *__restrict H, unsigned int c, const std::uint8_t *__restrict bits,
                       unsigned int n_groups, const double *__restrict tables, unsigned int n_used, double scale,
                       unsigned int n_panels, double *__restrict h)
    {
      for (unsigned int p = 0; p < n_panels; ++p)
        for (unsigned int r = 0; r < 8; ++r)
          {
            double              acc   = H[(std::size_t(c) * n_panels + p) * 8 + r];
            const std::uint8_t *bytes = bits + std::size_t(p) * n_groups * 8 + r;
            for (unsigned int q = 0; q < n_used; ++q)
              {
                const std::uint8_t b = bytes[q * 8];
                acc += tables[q * 32 + (b & 15)];
                acc += tables[q * 32 + 16 + (b >> 4)];
              }
            h[std::size_t(p) * 8 + r] = acc * scale;
          }
    }

    // Records the bits [derivative != 0] of the n neurons as sample c's.
    __attribute__((target_clones("arch=x86-64-v3", "default"))) void
    record_bits_scalar(const double *derivative, unsigned int n, unsigned int c, unsigned int n_groups,
                       std::uint8_t *bits)
    {
      for (unsigned int p = 0; 8 * p < n; ++p)
        {
          std::uint8_t byte = 0;
          for (unsigned int r = 0; r < std::min(8u, n - 8 * p); ++r)
            byte |= std::uint8_t(derivative[8 * p + r] != 0.) << r;
          record_bits(bits, p, n_groups, c, byte);
        }
    }

  } // namespace

  double
  ActivityPattern::derivative_value(const model::Problem &problem)
  {
    if (problem.trainable_second_layer)
      return 0.;
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(problem.activation.get()))
      return truncated->slope;
    if (dynamic_cast<const model::ReLU *>(problem.activation.get()))
      return 1.;
    return 0.;
  }

  ActivityPattern::ActivityPattern(const model::Activation &sigma)
    : sigma(&sigma)
  {
    if (const auto *truncated = dynamic_cast<const model::TruncatedReLU *>(&sigma))
      ramp = {true, truncated->s1, truncated->s2, truncated->t1, truncated->t2, truncated->slope};
  }

  void
  ActivityPattern::reinit(unsigned int n_panels_, unsigned int columns)
  {
    n_panels = n_panels_;
    n_groups = (columns + 7) / 8;
    bits.assign(std::size_t(n_panels) * n_groups * 8, 0);
    units.resize(columns);
    tables.resize(std::size_t(n_groups) * 32);
  }

  void
  ActivityPattern::record(unsigned int c, double unit)
  {
    units[c] = unit;
  }

  void
  ActivityPattern::correct_and_activate(const double *H, unsigned int c, const double *g, unsigned int n_previous,
                                        double scale, unsigned int n, double *h)
  {
    const unsigned int n_used = (n_previous + 7) / 8;
    for (unsigned int e = 0; e < 2 * n_used; ++e)
      {
        // Subset sums of samples 4 e + t: entry b adds the lowest sample of b to the entry without it.
        double *table = &tables[e * 16];
        double  w[4];
        for (unsigned int t = 0; t < 4; ++t)
          w[t] = 4 * e + t < n_previous ? units[4 * e + t] * g[4 * e + t] : 0.;
        table[0] = 0.;
        for (unsigned int b = 1; b < 16; ++b)
          table[b] = table[b & (b - 1)] + w[__builtin_ctz(b)];
      }
    if (has_avx512())
      {
        lookups_and_activation_v4(H, c, bits.data(), n_groups, tables.data(), n_used, scale, n_panels, ramp, n, h);
        return;
      }
    add_lookups_scalar(H, c, bits.data(), n_groups, tables.data(), n_used, scale, n_panels, h);
    derivative.resize(std::size_t(n_panels) * 8);
    evaluate_activation(*sigma, n, h, derivative.data());
    record_bits_scalar(derivative.data(), n, c, n_groups, bits.data());
  }
} // namespace mfdd::particles
