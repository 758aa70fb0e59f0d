#include "ordered_sum.h"
#include "vector_registers.h"

#include <algorithm>
#include <cstring>

namespace mfdd::particles
{
  namespace
  {
    // The sum of the 32 terms v[j] (zero-padded), by a fixed tree of vector additions.
    double
    chunk_sum(const v8d *v)
    {
      static_assert(OrderedSum::chunk == 32);
      const v8d s = (v[0] + v[1]) + (v[2] + v[3]);
      return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    }

  } // namespace

  OrderedSum::Layout
  OrderedSum::layout(unsigned int first, unsigned int n)
  {
    Layout result{first, n, {}};
    for (unsigned int i = first; i < first + n;)
      {
        const unsigned int chunk_end = (i / chunk + 1) * chunk;
        if (i % chunk == 0 && chunk_end <= first + n)
          {
            result.values.emplace_back(i, chunk);
            i = chunk_end;
          }
        else
          result.values.emplace_back(i++, 1); // a chunk shared with a neighbour rank
      }
    return result;
  }

  OrderedSum::OrderedSum(unsigned int N, unsigned int first, unsigned int n, MPI_Comm comm)
    : N(N)
    , comm(comm)
  {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    my_rank = rank;
    std::vector<unsigned int> firsts(size), counts(size);
    MPI_Allgather(&first, 1, MPI_UNSIGNED, firsts.data(), 1, MPI_UNSIGNED, comm);
    MPI_Allgather(&n, 1, MPI_UNSIGNED, counts.data(), 1, MPI_UNSIGNED, comm);
    for (int r = 0; r < size; ++r)
      ranks.push_back(layout(firsts[r], counts[r]));
  }

  void
  OrderedSum::sum(const double *weights, const double *values, unsigned int stride, unsigned int n_sums, double *totals)
  {
    const Layout &mine = ranks[my_rank];
    const auto    n_values = mine.values.size();
    sent.resize(n_values * n_sums);
    // The products are rounded before they are added (this file is compiled
    // without FMA contraction), so that a chunk shared by two ranks, whose
    // terms are sent one by one, is summed to the same bits.
    v8d terms[chunk / 8];
    for (unsigned int b = 0; b < n_sums; ++b)
      for (std::size_t v = 0; v < n_values; ++v)
        {
          const auto [i, count] = mine.values[v];
          const unsigned int l0 = i - mine.first;
          const double      *row = values + std::size_t(b) * stride + l0;
          if (count == chunk)
            {
              for (unsigned int q = 0; q < chunk / 8; ++q)
                terms[q] = load_vector<v8d>(weights + l0 + 8 * q) * load_vector<v8d>(row + 8 * q);
              sent[b * n_values + v] = chunk_sum(terms);
            }
          else
            sent[b * n_values + v] = weights[l0] * row[0];
        }
    counts.resize(ranks.size());
    offsets.assign(ranks.size(), 0);
    for (std::size_t r = 0; r < ranks.size(); ++r)
      {
        counts[r] = ranks[r].values.size() * n_sums;
        if (r > 0)
          offsets[r] = offsets[r - 1] + counts[r - 1];
      }
    const double *all = sent.data();
    if (ranks.size() > 1)
      {
        received.resize(offsets.back() + counts.back());
        MPI_Allgatherv(sent.data(), sent.size(), MPI_DOUBLE, received.data(), counts.data(), offsets.data(),
                       MPI_DOUBLE, comm);
        all = received.data();
      }
    // Chunk by chunk in index order: a whole chunk's sum, or the single
    // terms of a shared one (or of the last, partial chunk) summed as a whole chunk.
    for (unsigned int b = 0; b < n_sums; ++b)
      {
        double total = 0.;
        std::fill(terms, terms + chunk / 8, v8d{});
        for (std::size_t r = 0; r < ranks.size(); ++r)
          {
            const auto &values = ranks[r].values;
            for (std::size_t v = 0; v < values.size(); ++v)
              {
                const double value = all[offsets[r] + b * values.size() + v];
                if (values[v].second == chunk)
                  {
                    total += value;
                    continue;
                  }
                const unsigned int i = values[v].first;
                terms[i % chunk / 8][i % 8] = value;
                if ((i + 1) % chunk == 0 || i + 1 == N)
                  {
                    total += chunk_sum(terms);
                    std::fill(terms, terms + chunk / 8, v8d{});
                  }
              }
          }
        totals[b] = total;
      }
  }
} // namespace mfdd::particles
