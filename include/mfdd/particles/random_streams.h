#pragma once

#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <cstdint>

namespace mfdd::particles
{
  /**
   * Counter-based random numbers (Random123 Philox4x64): the numbers are a
   * pure function of (seed, stream, i, j, block), so any rank can draw the
   * numbers of any neuron or step without drawing the ones before.
   */
  class RandomStreams
  {
  public:
    enum Stream : std::uint64_t
    {
      initial_weights   = 1, ///< (i = neuron, j = 0): w_i, then a_i candidates
      sample_inputs     = 2, ///< (i = step k, j = batch member b): x
      sample_labels     = 3, ///< (i = step k, j = b): y
      noise             = 4, ///< (i = neuron, j = step k): g_i^k
      test_sample       = 5, ///< (i = test point m, j = 0): class (uniform), then x (normals); ntk's tangent model
      risk_pairs        = 6, ///< counter (record, row, 0, 0): the pairs of kernels::NetworkRisk::sampled
    };

    explicit RandomStreams(std::uint64_t seed)
      : seed(seed)
    {}

    /// Fills @p out[0..n) with independent N(0, 1) numbers of (stream, i, j) (Box-Muller).
    void
    normals(Stream stream, std::uint64_t i, std::uint64_t j, double *out, unsigned int n) const
    {
      const r123::Philox4x64::key_type key = {{seed, stream}};
      for (std::uint64_t block = 0; 4 * block < n; ++block)
        {
          const r123::Philox4x64::ctr_type counter = {{i, j, block, 0}};
          const auto                       bits    = generator(counter, key);
          const r123::double2              first   = r123::boxmuller(bits[0], bits[1]);
          const r123::double2              second  = r123::boxmuller(bits[2], bits[3]);
          const double                     values[4] = {first.x, first.y, second.x, second.y};
          for (unsigned int m = 0; m < 4 && 4 * block + m < n; ++m)
            out[4 * block + m] = values[m];
        }
    }

    /// The uniform number on (0, 1) number @p m (any integer) of (stream, i, j).
    double
    uniform(Stream stream, std::uint64_t i, std::uint64_t j, std::uint64_t m) const
    {
      const r123::Philox4x64::key_type key     = {{seed, stream}};
      const r123::Philox4x64::ctr_type counter = {{i, j, m / 4, 1}};
      return r123::u01<double>(generator(counter, key)[m % 4]);
    }

  private:
    std::uint64_t      seed;
    r123::Philox4x64   generator;
  };
} // namespace mfdd::particles
