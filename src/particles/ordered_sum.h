// The network output sum_i a_i sigma(<w_i, x>) over neurons spread across MPI
// ranks, with the same bits on any number of ranks.
#pragma once

#include <mpi.h>

#include <vector>

namespace mfdd::particles
{
  /**
   * Sums one term per neuron over all N neurons in a fixed order: the terms
   * of each chunk of 32 consecutive neurons (global index) one after the
   * other, then the chunk sums one after the other. A rank sends the sums of
   * the chunks it owns whole and the single terms of a chunk it shares with
   * a neighbour rank, so that the shared chunk is summed term by term in the
   * same order as on one rank. An MPI_Allreduce instead would add the ranks'
   * partial sums, whose rounding depends on where the ranks split the neurons.
   */
  class OrderedSum
  {
  public:
    static constexpr unsigned int chunk = 32;

    /// This rank holds neurons [first, first + n) of N.
    OrderedSum(unsigned int N, unsigned int first, unsigned int n, MPI_Comm comm);

    /**
     * The terms weights[l] values[b * stride + l] of this rank's n neurons l,
     * for b < @p n_sums: @p totals[b] receives the sum of row b over all N
     * neurons, on every rank (collective).
     */
    void
    sum(const double *weights, const double *values, unsigned int stride, unsigned int n_sums, double *totals);

  private:
    /// The values a rank sends for one row: chunk sums and single terms, in index order.
    struct Layout
    {
      unsigned int first, n;
      /// [v]: (first neuron, number of neurons) behind the v-th value this rank sends
      std::vector<std::pair<unsigned int, unsigned int>> values;
    };
    static Layout
    layout(unsigned int first, unsigned int n);

    unsigned int        N;
    MPI_Comm            comm;
    std::vector<Layout> ranks;
    unsigned int        my_rank;
    std::vector<double> sent, received;
    /// Per rank: the number of values it sends and their offset in received.
    std::vector<int> counts, offsets;
  };
} // namespace mfdd::particles
