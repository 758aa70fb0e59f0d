// The weights of a block of SGD steps (doc/theory.md §10) in the layout of
// its matrix-matrix products, and the register-blocked kernels on it.
#pragma once

#include <cstdint>
#include <vector>

namespace mfdd::particles
{
  /**
   * The update factors C(c, l) of a block: stored by panel (@p dense, see
   * WeightPanels), or, for the ReLUs with a fixed second layer, @p unit[c]
   * times bit t of byte ((l / width) n_groups + q) width + l % width of
   * @p groups for sample c = 8 q + t (the bits by neuron and group of 8).
   */
  struct UpdateFactors
  {
    const double       *dense    = nullptr;
    const double       *unit     = nullptr;
    const std::uint8_t *groups   = nullptr;
    unsigned int        n_groups = 0;
  };

  /**
   * This rank's n x d weights as panels of `width` neurons, each stored d x
   * width (panel p, coordinate k, lane q at (p d + k) width + q; the last
   * panel padded with zero rows). Products and updates run over a panel with
   * one vector register per coordinate and several samples at a time, so
   * that each weight loaded from memory serves many samples. Every entry is
   * a chain of FMAs in a fixed order (over k for a product, over the samples
   * for an update; for an update by subset sums, additions over the groups)
   * whatever the panel or the tile it falls in: a neuron's arithmetic does
   * not depend on how the neurons are split over ranks.
   * The products H of a block are stored by sample (sample c of neuron l
   * at c n_padded() + l), so that a step reads its samples' products as
   * one stream; the update factors C by panel (sample c of neuron l at
   * ((l / width) columns + c) width + l % width, `columns` the most samples
   * a block has), so that a panel's factors for all samples are contiguous.
   */
  class WeightPanels
  {
  public:
    static constexpr unsigned int width = 8;

    /// Copies the row-major n x d weights @p w in; blocks have up to @p columns samples.
    void
    pack(const double *w, unsigned int n, unsigned int d, unsigned int columns);
    /// Copies the weights back to the row-major @p w.
    void
    unpack(double *w) const;
    unsigned int
    n_padded() const
    {
      return n_panels * width;
    }
    /// n rounded up to whole panels: n_padded() once n neurons are packed.
    static unsigned int
    padded(unsigned int n)
    {
      return (n + width - 1) / width * width;
    }

    /// H(c, l) = <W_l, x_c> for the @p n_samples rows x_c of @p x (length d each).
    void
    multiply(const double *x, unsigned int n_samples, double *H) const;

    /**
     * W_l <- scale (W_l + sum_c C(c, l) x_c) over the @p n_samples
     * rows x_c of @p x, then H_next = W x_nextᵀ as multiply() for the
     * @p n_next rows of @p x_next, panel by panel while it is in cache. A
     * panel whose factors are all 0 is not written when scale = 1.
     */
    void
    update_and_multiply(const UpdateFactors &C,
                        const double *x,
                        unsigned int  n_samples,
                        double        scale,
                        const double *x_next,
                        unsigned int  n_next,
                        double       *H_next);

  private:
    unsigned int        n = 0, d = 0, n_panels = 0, columns = 0;
    std::vector<double> panels;
    std::vector<double> subset_sums;    ///< per group of 8 samples 256 rows of d_padded() (zero padding)
    std::vector<double> increments;     ///< one panel's increments, by neuron (width rows of d_padded())
  };

  /**
   * h[l] = scale (H(c, l) + sum_{i < n_previous} C(i, l) g[i]) for the
   * neurons l of @p n_panels panels (H and C stored by panel as in
   * WeightPanels, h one row): the pre-activations of sample @p c from the
   * block's products and the updates of the earlier samples of the block,
   * g[i] = <x_i, x_c> (summed in the order of i).
   */
  void
  correct_products(const double *H,
                   const double *C,
                   unsigned int  columns,
                   unsigned int  c,
                   const double *g,
                   unsigned int  n_previous,
                   double        scale,
                   unsigned int  n_panels,
                   double       *h);
} // namespace mfdd::particles
