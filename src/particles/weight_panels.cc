#include "weight_panels.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace mfdd::particles
{
  namespace
  {
    // One panel row: one AVX-512 register, two AVX2 registers.
    typedef double v8d __attribute__((vector_size(64)));
    static_assert(WeightPanels::width == 8);

    __attribute__((always_inline)) inline v8d
    load8(const double *p)
    {
      v8d v;
      std::memcpy(&v, p, sizeof(v));
      return v;
    }
    __attribute__((always_inline)) inline void
    store8(double *p, v8d v)
    {
      std::memcpy(p, &v, sizeof(v));
    }

    template <unsigned int n_columns>
    __attribute__((always_inline)) inline void
    panel_products(const double *__restrict panel, unsigned int d, const double *__restrict x,
                   double *__restrict H, std::size_t stride)
    {
      v8d acc[n_columns] = {};
      for (unsigned int k = 0; k < d; ++k)
        {
          const v8d w = load8(panel + std::size_t(k) * 8);
          for (unsigned int q = 0; q < n_columns; ++q)
            acc[q] += w * x[std::size_t(q) * d + k];
        }
      for (unsigned int q = 0; q < n_columns; ++q)
        store8(H + q * stride, acc[q]);
    }

    template <unsigned int n_rows>
    __attribute__((always_inline)) inline void
    panel_update(double *__restrict panel, const double *__restrict C, std::size_t stride,
                 const double *__restrict x, unsigned int d, unsigned int n_samples, double scale)
    {
      v8d acc[n_rows];
      for (unsigned int q = 0; q < n_rows; ++q)
        acc[q] = load8(panel + q * 8);
      for (unsigned int c = 0; c < n_samples; ++c)
        {
          const v8d f = load8(C + c * stride);
          for (unsigned int q = 0; q < n_rows; ++q)
            acc[q] += f * x[std::size_t(c) * d + q];
        }
      for (unsigned int q = 0; q < n_rows; ++q)
        store8(panel + q * 8, acc[q] * scale);
    }

    // The remainder r < tile of a loop in tiles (0: nothing), by a
    // compile-time count so that the accumulators stay in registers.
    template <unsigned int tile>
    __attribute__((always_inline)) inline void
    panel_products_remainder(unsigned int r, const double *panel, unsigned int d, const double *x, double *H,
                             std::size_t stride)
    {
      if constexpr (tile > 1)
        {
          if (r == tile - 1)
            panel_products<tile - 1>(panel, d, x, H, stride);
          else
            panel_products_remainder<tile - 1>(r, panel, d, x, H, stride);
        }
    }
    template <unsigned int tile>
    __attribute__((always_inline)) inline void
    panel_update_remainder(unsigned int r, double *panel, const double *C, std::size_t stride, const double *x,
                           unsigned int d, unsigned int n_samples, double scale)
    {
      if constexpr (tile > 1)
        {
          if (r == tile - 1)
            panel_update<tile - 1>(panel, C, stride, x, d, n_samples, scale);
          else
            panel_update_remainder<tile - 1>(r, panel, C, stride, x, d, n_samples, scale);
        }
    }

    // Products of one panel with all the samples, `tile` at a time.
    template <unsigned int tile>
    __attribute__((always_inline)) inline void
    panel_products_all(const double *panel, unsigned int d, const double *x, unsigned int n_samples, double *H,
                       std::size_t stride)
    {
      unsigned int c = 0;
      for (; c + tile <= n_samples; c += tile)
        panel_products<tile>(panel, d, x + std::size_t(c) * d, H + c * stride, stride);
      const double *xr = x + std::size_t(c) * d;
      double       *Hr = H + c * stride;
      panel_products_remainder<tile>(n_samples - c, panel, d, xr, Hr, stride);
    }

    // The tile is the number of independent FMA chains: enough to cover the
    // FMA latency on two pipes (8), within the registers: AVX2 holds a panel
    // row in two registers (6 x 2 accumulators of its 16), AVX-512 in one
    // (12 of 32; with 6, 1000 x 40 ran at 0.75 of the rate of 12).
    template <unsigned int tile>
    __attribute__((always_inline)) inline void
    multiply_all(const double *panels, unsigned int n_panels, unsigned int d, const double *x,
                 unsigned int n_samples, double *H)
    {
      const std::size_t stride = std::size_t(n_panels) * 8;
      for (unsigned int p = 0; p < n_panels; ++p)
        panel_products_all<tile>(panels + std::size_t(p) * d * 8, d, x, n_samples, H + p * 8, stride);
    }

    template <unsigned int tile>
    __attribute__((always_inline)) inline void
    update_and_multiply_all(double *panels, unsigned int n_panels, unsigned int d, const double *C,
                            const double *x, unsigned int n_samples, double scale, const double *x_next,
                            unsigned int n_next, double *H_next)
    {
      const std::size_t stride = std::size_t(n_panels) * 8;
      for (unsigned int p = 0; p < n_panels; ++p)
        {
          double       *panel = panels + std::size_t(p) * d * 8;
          const double *Cp    = C + p * 8;
          bool          moved = scale != 1.;
          for (unsigned int c = 0; c < n_samples && !moved; ++c)
            for (unsigned int q = 0; q < 8; ++q)
              moved = moved || Cp[c * stride + q] != 0.;
          if (moved)
            {
              unsigned int k = 0;
              for (; k + tile <= d; k += tile)
                panel_update<tile>(panel + k * 8, Cp, stride, x + k, d, n_samples, scale);
              double       *rows = panel + k * 8;
              const double *xk   = x + k;
              panel_update_remainder<tile>(d - k, rows, Cp, stride, xk, d, n_samples, scale);
            }
          panel_products_all<tile>(panel, d, x_next, n_next, H_next + p * 8, stride);
        }
    }
  } // namespace

  void
  WeightPanels::pack(const double *w, unsigned int n_, unsigned int d_)
  {
    n        = n_;
    d        = d_;
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
#define MFDD_PANEL_KERNELS(suffix, target, tile)                                                                      \
  target void multiply_##suffix(const double *panels, unsigned int n_panels, unsigned int d, const double *x,         \
                                unsigned int n_samples, double *H)                                                    \
  {                                                                                                                   \
    multiply_all<tile>(panels, n_panels, d, x, n_samples, H);                                                         \
  }                                                                                                                   \
  target void update_and_multiply_##suffix(double *panels, unsigned int n_panels, unsigned int d, const double *C,    \
                                           const double *x, unsigned int n_samples, double scale,                     \
                                           const double *x_next, unsigned int n_next, double *H_next)                 \
  {                                                                                                                   \
    update_and_multiply_all<tile>(panels, n_panels, d, C, x, n_samples, scale, x_next, n_next, H_next);               \
  }
  namespace
  {
    MFDD_PANEL_KERNELS(v4, __attribute__((target("arch=x86-64-v4"))), 12)
    MFDD_PANEL_KERNELS(v3, __attribute__((target("arch=x86-64-v3"))), 6)
    MFDD_PANEL_KERNELS(base, , 3)
#undef MFDD_PANEL_KERNELS

    const bool has_avx512 = __builtin_cpu_supports("x86-64-v4");
    const bool has_avx2   = __builtin_cpu_supports("x86-64-v3");
  } // namespace

  void
  WeightPanels::multiply(const double *x, unsigned int n_samples, double *H) const
  {
    (has_avx512 ? multiply_v4 : has_avx2 ? multiply_v3 : multiply_base)(panels.data(), n_panels, d, x, n_samples, H);
  }

  void
  WeightPanels::update_and_multiply(const double *C,
                                    const double *x,
                                    unsigned int  n_samples,
                                    double        scale,
                                    const double *x_next,
                                    unsigned int  n_next,
                                    double       *H_next)
  {
    (has_avx512 ? update_and_multiply_v4 : has_avx2 ? update_and_multiply_v3 : update_and_multiply_base)(
      panels.data(), n_panels, d, C, x, n_samples, scale, x_next, n_next, H_next);
  }

  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void
  correct_products(const double *__restrict H,
                   const double *__restrict C,
                   unsigned int  stride,
                   const double *__restrict g,
                   unsigned int  n_previous,
                   double        scale,
                   unsigned int  n,
                   double *__restrict h)
  {
    // Four registers of neurons at a time: four independent FMA chains.
    unsigned int l = 0;
    for (; l + 32 <= n; l += 32)
      {
        v8d acc[4];
        for (unsigned int q = 0; q < 4; ++q)
          acc[q] = load8(H + l + 8 * q);
        for (unsigned int i = 0; i < n_previous; ++i)
          for (unsigned int q = 0; q < 4; ++q)
            acc[q] += load8(C + std::size_t(i) * stride + l + 8 * q) * g[i];
        for (unsigned int q = 0; q < 4; ++q)
          store8(h + l + 8 * q, acc[q] * scale);
      }
    for (; l < n; l += 8)
      {
        v8d acc = load8(H + l);
        for (unsigned int i = 0; i < n_previous; ++i)
          acc += load8(C + std::size_t(i) * stride + l) * g[i];
        store8(h + l, acc * scale);
      }
  }
} // namespace mfdd::particles
