#include "weight_panels.h"
#include "vector_registers.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

namespace mfdd::particles
{
  namespace
  {
    static_assert(WeightPanels::width == 8, "a panel row is eight doubles");

    // The products of n_rows consecutive panels (from @p panel, d x 8 each)
    // with n_columns samples: H + q stride + 8 r receives those of sample q
    // and panel r. Two panels share each broadcast sample entry.
    template <typename Row, unsigned int n_rows, unsigned int n_columns>
    __attribute__((always_inline)) inline void
    panel_products(const double *__restrict panel, unsigned int d, const double *__restrict x,
                   double *__restrict H, std::size_t stride)
    {
      const std::size_t panel_size = std::size_t(d) * 8;
      // The first term initialises the accumulators (a zeroed array on the
      // stack measured 3% of the step at N = 1e5: a rep stos per tile).
      Row acc[n_rows][n_columns];
      for (unsigned int r = 0; r < n_rows; ++r)
        {
          const Row w = load_vector<Row>(panel + r * panel_size);
          for (unsigned int q = 0; q < n_columns; ++q)
            acc[r][q] = w * x[std::size_t(q) * d];
        }
      for (unsigned int k = 1; k < d; ++k)
        {
          Row w[n_rows];
          for (unsigned int r = 0; r < n_rows; ++r)
            w[r] = load_vector<Row>(panel + r * panel_size + std::size_t(k) * 8);
          for (unsigned int q = 0; q < n_columns; ++q)
            {
              const double xk = x[std::size_t(q) * d + k];
              for (unsigned int r = 0; r < n_rows; ++r)
                acc[r][q] += w[r] * xk;
            }
        }
      for (unsigned int q = 0; q < n_columns; ++q)
        for (unsigned int r = 0; r < n_rows; ++r)
          store_vector(H + q * stride + 8 * r, acc[r][q]);
    }

    // Also prefetches the same rows of the next panel (@p next, or nullptr),
    // one panel's work ahead: the panels of a large N come from L3 or memory.
    template <typename Row, unsigned int n_rows>
    __attribute__((always_inline)) inline void
    panel_update(double *__restrict panel, const double *__restrict C,
                 const double *__restrict x, unsigned int d, unsigned int n_samples, double scale,
                 const double *next)
    {
      if (next != nullptr)
        for (unsigned int q = 0; q < n_rows; ++q)
          __builtin_prefetch(next + q * 8, 1);
      Row acc[n_rows];
      for (unsigned int q = 0; q < n_rows; ++q)
        acc[q] = load_vector<Row>(panel + q * 8);
      for (unsigned int c = 0; c < n_samples; ++c)
        {
          const Row f = load_vector<Row>(C + c * 8);
          for (unsigned int q = 0; q < n_rows; ++q)
            acc[q] += f * x[std::size_t(c) * d + q];
        }
      for (unsigned int q = 0; q < n_rows; ++q)
        store_vector(panel + q * 8, acc[q] * scale);
    }

    // panel_products<count> and panel_update<count> for a run-time count in
    // [1, max_count], so that the accumulators of each count stay in registers.
    template <typename Row, unsigned int n_rows, unsigned int max_count>
    __attribute__((always_inline)) inline void
    panel_products_n(unsigned int count, const double *panel, unsigned int d, const double *x, double *H,
                     std::size_t stride)
    {
      if (count == max_count)
        panel_products<Row, n_rows, max_count>(panel, d, x, H, stride);
      else if constexpr (max_count > 1)
        panel_products_n<Row, n_rows, max_count - 1>(count, panel, d, x, H, stride);
    }
    template <typename Row, unsigned int max_count>
    __attribute__((always_inline)) inline void
    panel_update_n(unsigned int count, double *panel, const double *C, const double *x,
                   unsigned int d, unsigned int n_samples, double scale, const double *next)
    {
      if (count == max_count)
        panel_update<Row, max_count>(panel, C, x, d, n_samples, scale, next);
      else if constexpr (max_count > 1)
        panel_update_n<Row, max_count - 1>(count, panel, C, x, d, n_samples, scale, next);
    }

    // Tile t of ceil(n / tile) tiles whose sizes differ by at most one (a
    // short last tile would have too few independent FMA chains): its first
    // index and its size. (Loops over tiles, not a lambda: a lambda would be
    // compiled for the default target, not the kernel's.)
    template <unsigned int tile>
    __attribute__((always_inline)) inline std::pair<unsigned int, unsigned int>
    balanced_tile(unsigned int n, unsigned int t)
    {
      const unsigned int n_tiles = (n + tile - 1) / tile, base = n / n_tiles, extra = n % n_tiles;
      return {t * base + std::min(t, extra), base + (t < extra ? 1 : 0)};
    }

    // Products of n_rows consecutive panels with all the samples (sample c at H + c stride).
    template <typename Row, unsigned int n_rows, unsigned int tile>
    __attribute__((always_inline)) inline void
    panel_products_all(const double *panel, unsigned int d, const double *x, unsigned int n_samples, double *H,
                       std::size_t stride)
    {
      for (unsigned int t = 0; t < (n_samples + tile - 1) / tile; ++t)
        {
          const auto [c, size] = balanced_tile<tile>(n_samples, t);
          panel_products_n<Row, n_rows, tile>(size, panel, d, x + std::size_t(c) * d, H + c * stride, stride);
        }
    }

    // Whether panels go by pairs (pair_tile > 0): the 2 x 8 products measured
    // 3-5% faster than one panel x 12 at N = 1000 and 10^4 (weights of 0.3 and
    // 8 MB), 3-5% slower at N = 10^5 (80 MB); the limit between is not measured.
    template <unsigned int pair_tile>
    __attribute__((always_inline)) inline bool
    by_pairs(unsigned int n_panels, unsigned int d)
    {
      return pair_tile > 0 && std::size_t(n_panels) * d * 8 * sizeof(double) <= (std::size_t(32) << 20);
    }

    // The tile is the number of independent FMA chains: enough to cover the
    // FMA latency on two pipes (8), within the registers: AVX2 holds a panel
    // row in two registers (6 x 2 accumulators of its 16), AVX-512 in one
    // (12 of 32; with 6, 1000 x 40 ran at 0.75 of the rate of 12). With
    // by_pairs(), two panels with pair_tile samples (AVX-512: 2 x 8
    // accumulators, one broadcast sample entry for two FMAs).
    template <typename Row, unsigned int tile, unsigned int pair_tile>
    __attribute__((always_inline)) inline void
    multiply_all(const double *panels, unsigned int n_panels, unsigned int d, const double *x, unsigned int n_samples,
                 double *H)
    {
      const std::size_t stride = std::size_t(n_panels) * 8;
      unsigned int      p      = 0;
      if constexpr (pair_tile > 0)
        if (by_pairs<pair_tile>(n_panels, d))
          for (; p + 2 <= n_panels; p += 2)
            panel_products_all<Row, 2, pair_tile>(panels + std::size_t(p) * d * 8, d, x, n_samples,
                                                  H + std::size_t(p) * 8, stride);
      for (; p < n_panels; ++p)
        panel_products_all<Row, 1, tile>(panels + std::size_t(p) * d * 8, d, x, n_samples, H + std::size_t(p) * 8,
                                         stride);
    }

    // Whether a factor of panel p for the first n samples of a block is not 0.
    __attribute__((always_inline)) inline bool
    any_factor(const double *Cp, unsigned int n)
    {
      for (unsigned int e = 0; e < n * 8; ++e)
        if (Cp[e] != 0.)
          return true;
      return false;
    }

    // rows[j] = column j of the 8 x 8 matrix whose rows were rows[0..7].
    __attribute__((always_inline)) inline void
    transpose(v8d rows[8])
    {
      typedef long long v8l __attribute__((vector_size(64)));
      v8d pairs[8], quads[8];
      for (unsigned int i = 0; i < 4; ++i)
        {
          pairs[2 * i]     = __builtin_shuffle(rows[2 * i], rows[2 * i + 1], v8l{0, 8, 2, 10, 4, 12, 6, 14});
          pairs[2 * i + 1] = __builtin_shuffle(rows[2 * i], rows[2 * i + 1], v8l{1, 9, 3, 11, 5, 13, 7, 15});
        }
      for (unsigned int h = 0; h < 8; h += 4)
        for (unsigned int i = 0; i < 2; ++i)
          {
            quads[h + i]     = __builtin_shuffle(pairs[h + i], pairs[h + i + 2], v8l{0, 1, 8, 9, 4, 5, 12, 13});
            quads[h + i + 2] = __builtin_shuffle(pairs[h + i], pairs[h + i + 2], v8l{2, 3, 10, 11, 6, 7, 14, 15});
          }
      for (unsigned int i = 0; i < 4; ++i)
        {
          rows[i]     = __builtin_shuffle(quads[i], quads[i + 4], v8l{0, 1, 2, 3, 8, 9, 10, 11});
          rows[i + 4] = __builtin_shuffle(quads[i], quads[i + 4], v8l{4, 5, 6, 7, 12, 13, 14, 15});
        }
    }

    // The same for rows of two v4d.
    __attribute__((always_inline)) inline void
    transpose(v4d_pair rows[8])
    {
      double entries[8][8];
      for (unsigned int i = 0; i < 8; ++i)
        store_vector(entries[i], rows[i]);
      for (unsigned int j = 0; j < 8; ++j)
        {
          double column[8];
          for (unsigned int i = 0; i < 8; ++i)
            column[i] = entries[i][j];
          rows[j] = load_vector<v4d_pair>(column);
        }
    }

    // The subset sums of a block (see WeightPanels::update_and_multiply()).
    struct SubsetSums
    {
      const double *rows;       ///< row b of group q at (256 q + b) d_pad
      unsigned int  n_used;     ///< groups of the block's samples
      unsigned int  d_pad;      ///< d rounded up to 8
      double       *increments; ///< scratch: 8 rows of d_pad
    };

    // increment[0, 8 n_vectors) = the sum over the groups q (in order) of
    // entries [k, k + 8 n_vectors) of the row that byte q (at bytes[8 q]) selects.
    template <typename Row, unsigned int n_vectors>
    __attribute__((always_inline)) inline void
    add_rows(const SubsetSums &sums, const std::uint8_t *bytes, unsigned int k, double *increment)
    {
      Row acc[n_vectors];
      const double *row = sums.rows + std::size_t(bytes[0]) * sums.d_pad + k;
      for (unsigned int v = 0; v < n_vectors; ++v)
        acc[v] = load_vector<Row>(row + 8 * v);
      for (unsigned int q = 1; q < sums.n_used; ++q)
        {
          row = sums.rows + (std::size_t(q) * 256 + bytes[8 * q]) * sums.d_pad + k;
          for (unsigned int v = 0; v < n_vectors; ++v)
            acc[v] += load_vector<Row>(row + 8 * v);
        }
      for (unsigned int v = 0; v < n_vectors; ++v)
        store_vector(increment + 8 * v, acc[v]);
    }

    // W = scale (W + increment) for one panel, lane r's increment the sum
    // over the groups (in group order) of the rows its bytes select. Also
    // prefetches the next panel (@p next, or nullptr), as panel_update().
    template <typename Row>
    __attribute__((always_inline)) inline void
    panel_update_from_sums(double *__restrict panel, const std::uint8_t *__restrict bytes, const SubsetSums &sums,
                           unsigned int d, double scale, const double *next)
    {
      const unsigned int d_pad = sums.d_pad;
      for (unsigned int r = 0; r < 8; ++r)
        {
          double      *increment = sums.increments + std::size_t(r) * d_pad;
          unsigned int k         = 0;
          for (; k + 32 <= d_pad; k += 32)
            add_rows<Row, 4>(sums, bytes + r, k, increment + k);
          for (; k < d_pad; k += 8)
            add_rows<Row, 1>(sums, bytes + r, k, increment + k);
        }
      unsigned int k = 0;
      for (; k + 8 <= d; k += 8)
        {
          if (next != nullptr)
            for (unsigned int j = 0; j < 8; ++j)
              __builtin_prefetch(next + (k + j) * 8, 1);
          Row columns[8];
          for (unsigned int r = 0; r < 8; ++r)
            columns[r] = load_vector<Row>(sums.increments + std::size_t(r) * d_pad + k);
          transpose(columns);
          for (unsigned int j = 0; j < 8; ++j)
            store_vector(panel + (k + j) * 8, (load_vector<Row>(panel + (k + j) * 8) + columns[j]) * scale);
        }
      for (; k < d; ++k)
        {
          if (next != nullptr)
            __builtin_prefetch(next + k * 8, 1);
          for (unsigned int r = 0; r < 8; ++r)
            panel[k * 8 + r] = (panel[k * 8 + r] + sums.increments[std::size_t(r) * d_pad + k]) * scale;
        }
    }

    // Rows b of group q: sum over the set bits t of b of u_c x_c, c = 8 q + t
    // (0 for c >= n_samples), each row the row without b's lowest bit plus
    // that bit's row.
    template <typename Row>
    __attribute__((always_inline)) inline void
    fill_subset_sums(const double *unit, const double *x, unsigned int n_samples, unsigned int d,
                     unsigned int d_pad, double *__restrict sums)
    {
      for (unsigned int q = 0; q < (n_samples + 7) / 8; ++q)
        {
          double *__restrict group = sums + std::size_t(q) * 256 * d_pad;
          std::fill(group, group + d_pad, 0.);
          for (unsigned int t = 0; t < 8; ++t)
            {
              const unsigned int c   = 8 * q + t;
              double            *row = group + (std::size_t(1) << t) * d_pad;
              for (unsigned int k = 0; k < d_pad; ++k)
                row[k] = c < n_samples && k < d ? unit[c] * x[std::size_t(c) * d + k] : 0.;
            }
          for (unsigned int b = 3; b < 256; ++b)
            if ((b & (b - 1)) != 0)
              {
                const double *without = group + std::size_t(b & (b - 1)) * d_pad,
                             *lowest  = group + std::size_t(b & -b) * d_pad;
                double *row           = group + std::size_t(b) * d_pad;
                for (unsigned int k = 0; k < d_pad; k += 8)
                  store_vector(row + k, load_vector<Row>(without + k) + load_vector<Row>(lowest + k));
              }
        }
    }

    template <typename Row, unsigned int tile, unsigned int pair_tile>
    __attribute__((always_inline)) inline void
    update_and_multiply_all(double *panels, unsigned int n_panels, unsigned int d, unsigned int columns,
                            const UpdateFactors &factors, const double *x, unsigned int n_samples, double scale,
                            const double *x_next, unsigned int n_next, double *H_next, const SubsetSums &sums)
    {
      const bool pairs = by_pairs<pair_tile>(n_panels, d);
      for (unsigned int p = 0; p < n_panels; ++p)
        {
          double       *panel = panels + std::size_t(p) * d * 8;
          const double *next  = p + 1 < n_panels ? panel + std::size_t(d) * 8 : nullptr;
          if (factors.groups != nullptr)
            {
              const std::uint8_t *bytes = factors.groups + std::size_t(p) * factors.n_groups * 8;
              std::uint8_t        any   = 0;
              for (unsigned int e = 0; e < sums.n_used * 8; ++e)
                any |= bytes[e];
              if (any != 0 || scale != 1.)
                panel_update_from_sums<Row>(panel, bytes, sums, d, scale, next);
            }
          else
            {
              const double *Cp = factors.dense + std::size_t(p) * columns * 8;
              if (any_factor(Cp, n_samples) || scale != 1.)
                for (unsigned int t = 0; t < (d + tile - 1) / tile; ++t)
                  {
                    const auto [k, size] = balanced_tile<tile>(d, t);
                    panel_update_n<Row, tile>(size, panel + k * 8, Cp, x + k, d, n_samples, scale,
                                              next ? next + k * 8 : nullptr);
                  }
            }
          // As multiply_all(): a pair's products once both its panels are updated.
          const std::size_t stride = std::size_t(n_panels) * 8;
          if constexpr (pair_tile > 0)
            {
              if (pairs && p % 2 == 1)
                {
                  panel_products_all<Row, 2, pair_tile>(panel - std::size_t(d) * 8, d, x_next, n_next,
                                                        H_next + std::size_t(p - 1) * 8, stride);
                  continue;
                }
              if (pairs && p + 1 < n_panels)
                continue;
            }
          panel_products_all<Row, 1, tile>(panel, d, x_next, n_next, H_next + std::size_t(p) * 8, stride);
        }
    }

    // correct_products() for one instruction set: four panels at a time,
    // four independent FMA chains.
    template <typename Row>
    __attribute__((always_inline)) inline void
    correct_products_all(const double *__restrict H, const double *__restrict C, unsigned int columns,
                         unsigned int c, const double *__restrict g, unsigned int n_previous, double scale,
                         unsigned int n_panels, double *__restrict h)
    {
      const std::size_t panel_size = std::size_t(columns) * 8, row = std::size_t(c) * n_panels * 8;
      unsigned int      p          = 0;
      for (; p + 4 <= n_panels; p += 4)
        {
          Row acc[4];
          for (unsigned int r = 0; r < 4; ++r)
            acc[r] = load_vector<Row>(H + row + (p + r) * 8);
          for (unsigned int i = 0; i < n_previous; ++i)
            for (unsigned int r = 0; r < 4; ++r)
              acc[r] += load_vector<Row>(C + (p + r) * panel_size + i * 8) * g[i];
          for (unsigned int r = 0; r < 4; ++r)
            store_vector(h + (p + r) * 8, acc[r] * scale);
        }
      for (; p < n_panels; ++p)
        {
          Row acc = load_vector<Row>(H + row + p * 8);
          for (unsigned int i = 0; i < n_previous; ++i)
            acc += load_vector<Row>(C + p * panel_size + i * 8) * g[i];
          store_vector(h + p * 8, acc * scale);
        }
    }

    // The kernel for this CPU (has_avx512(), has_avx2()) among its three builds.
    template <typename Kernel>
    Kernel
    kernel_for_cpu(Kernel v4, Kernel v3, Kernel base)
    {
      return has_avx512() ? v4 : has_avx2() ? v3 : base;
    }
  } // namespace

  void
  WeightPanels::pack(const double *w, unsigned int n_, unsigned int d_, unsigned int columns_)
  {
    n        = n_;
    d        = d_;
    columns  = columns_;
    n_panels = (n + width - 1) / width;
    panels.assign(std::size_t(n_panels) * d * width, 0.);
    for (unsigned int l = 0; l < n; ++l)
      for (unsigned int k = 0; k < d; ++k)
        panels[(std::size_t(l / width) * d + k) * width + l % width] = w[std::size_t(l) * d + k];
  }

  void
  WeightPanels::unpack(double *w) const
  {
    for (unsigned int l = 0; l < n; ++l)
      for (unsigned int k = 0; k < d; ++k)
        w[std::size_t(l) * d + k] = panels[(std::size_t(l / width) * d + k) * width + l % width];
  }

  // The kernels for each instruction set, picked once at run time.
#define MFDD_PANEL_KERNELS(suffix, target, tile, pair_tile, Row)                                              \
  target void multiply_##suffix(const double *panels, unsigned int n_panels, unsigned int d, const double *x,       \
                                unsigned int n_samples, double *H)                                                    \
  {                                                                                                                   \
    multiply_all<Row, tile, pair_tile>(panels, n_panels, d, x, n_samples, H);                                       \
  }                                                                                                                   \
  target void update_and_multiply_##suffix(double *panels, unsigned int n_panels, unsigned int d,                     \
                                           unsigned int columns, const UpdateFactors &C, const double *x,             \
                                           unsigned int n_samples, double scale, const double *x_next,                \
                                           unsigned int n_next, double *H_next, const SubsetSums &sums)               \
  {                                                                                                                   \
    update_and_multiply_all<Row, tile, pair_tile>(panels, n_panels, d, columns, C, x, n_samples, scale, x_next,      \
                                                  n_next, H_next, sums);                                            \
  }                                                                                                                   \
  target void subset_sums_##suffix(const double *unit, const double *x, unsigned int n_samples, unsigned int d,      \
                                   unsigned int d_pad, double *sums)                                                  \
  {                                                                                                                   \
    fill_subset_sums<Row>(unit, x, n_samples, d, d_pad, sums);                                                        \
  }                                                                                                                   \
  target void correct_products_##suffix(const double *H, const double *C, unsigned int columns, unsigned int c,     \
                                        const double *g, unsigned int n_previous, double scale,                      \
                                        unsigned int n_panels, double *h)                                             \
  {                                                                                                                   \
    correct_products_all<Row>(H, C, columns, c, g, n_previous, scale, n_panels, h);                                   \
  }
  namespace
  {
    // AVX2 holds a panel row in two v4d: GCC lowers a v8d for AVX2 through
    // general registers and the stack. Forced onto AVX2 on an AVX-512 CPU,
    // two v4d against one v8d: 117-119k against 37-38k steps/s at
    // (1000, 40), 7.0-7.3k against 1.6-1.7k at (10000, 100), 487-571
    // against 159-163 at (100000, 100) (benchmarks/sgd_step table, 2026-12-07).
    MFDD_PANEL_KERNELS(v4, __attribute__((target("arch=x86-64-v4"))), 12, 8, v8d)
    MFDD_PANEL_KERNELS(v3, __attribute__((target("arch=x86-64-v3"))), 6, 0, v4d_pair)
    MFDD_PANEL_KERNELS(base, , 3, 0, v8d)
#undef MFDD_PANEL_KERNELS
  } // namespace

  void
  WeightPanels::multiply(const double *x, unsigned int n_samples, double *H) const
  {
    kernel_for_cpu(multiply_v4, multiply_v3, multiply_base)(panels.data(), n_panels, d, x, n_samples, H);
  }

  void
  WeightPanels::update_and_multiply(const UpdateFactors &C,
                                    const double *x,
                                    unsigned int  n_samples,
                                    double        scale,
                                    const double *x_next,
                                    unsigned int  n_next,
                                    double       *H_next)
  {
    SubsetSums sums{nullptr, 0, 0, nullptr};
    if (C.groups != nullptr)
      {
        sums.n_used = (n_samples + 7) / 8;
        sums.d_pad  = (d + 7) / 8 * 8;
        subset_sums.resize(std::size_t(sums.n_used) * 256 * sums.d_pad);
        increments.resize(std::size_t(width) * sums.d_pad);
        kernel_for_cpu(subset_sums_v4, subset_sums_v3, subset_sums_base)(C.unit, x, n_samples, d, sums.d_pad,
                                                                         subset_sums.data());
        sums.rows       = subset_sums.data();
        sums.increments = increments.data();
      }
    kernel_for_cpu(update_and_multiply_v4, update_and_multiply_v3, update_and_multiply_base)(
      panels.data(), n_panels, d, columns, C, x, n_samples, scale, x_next, n_next, H_next, sums);
  }

  void
  correct_products(const double *H,
                   const double *C,
                   unsigned int  columns,
                   unsigned int  c,
                   const double *g,
                   unsigned int  n_previous,
                   double        scale,
                   unsigned int  n_panels,
                   double       *h)
  {
    kernel_for_cpu(correct_products_v4, correct_products_v3, correct_products_base)(
      H, C, columns, c, g, n_previous, scale, n_panels, h);
  }
} // namespace mfdd::particles
