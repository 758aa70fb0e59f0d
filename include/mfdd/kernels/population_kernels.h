// kernels/ owns the population quantities of doc/theory.md §1 and §4 evaluated
// exactly: V, U and their reduced forms v-bar, u-bar with gradients, R(rho-bar)
// for weighted points, and the exact risk R_N of a network. It knows nothing of
// meshes, particles' time stepping or files.
#pragma once

#include <mfdd/model/problem.h>

#include <functional>
#include <memory>
#include <vector>

namespace mfdd::kernels
{
  class GaussianExpectations;
  class AngularQuadrature;

  /**
   * The reduced population kernels of doc/theory.md §4 in the problem's reduced
   * coordinates z (layout of model::ReducedSetting: [a] then one radius per
   * input block):
   *
   *   V(z)      = a v-bar(radii)
   *   U(z, z')  = a a' u-bar(radii, radii')   (angle-averaged over mu_{m_b} per block,
   *                                            or its large-d limit)
   *
   * and psi(z; rho-bar) = V(z) + alpha * sum_q w_q U(z, z_q) for a density given by
   * weighted points. Gradients are with respect to the first argument z.
   */
  class PopulationKernels
  {
  public:
    /// @p max_series_terms caps Mehler's series (0: angular quadrature only).
    explicit PopulationKernels(const model::Problem &problem, unsigned int max_series_terms = 1024);
    ~PopulationKernels();

    unsigned int
    dimension() const;

    double
    V(const double *z) const;
    /// Returns V(z) and writes grad_z V into @p grad (dimension() entries).
    double
    V_and_gradient(const double *z, double *grad) const;

    double
    U(const double *z, const double *zp) const;
    /// Returns U(z, z') and writes grad_z U(z, z') into @p grad.
    double
    U_and_gradient(const double *z, const double *zp, double *grad) const;

    /**
     * The symmetric table U(z_i, z_j) of @p points (n x dimension(), row by
     * row), n x n row by row: per-point work (Hermite coefficients, tail
     * energies) is done once per point, not once per pair. Rows are taken in
     * a fixed permuted order i_0, i_1, ...; only the pairs j <= i_k of the
     * rows k = offset (mod stride) are computed, and written to (i, j) and
     * (j, i); every other entry is 0, so that the tables of offsets
     * 0 .. stride-1 sum to the whole table. @p progress, if set, is called
     * with the fraction of this call's pairs done after each row.
     */
    std::vector<double>
    U_table(const std::vector<double>         &points,
            unsigned int                        stride   = 1,
            unsigned int                        offset   = 0,
            const std::function<void(double)> &progress = {}) const;

    /// R(rho-bar) = E[y^2] + 2 alpha sum_p w_p V(z_p) + alpha^2 sum_{p,q} w_p w_q U(z_p, z_q);
    /// @p points holds n x dimension() coordinates, row by row.
    double
    risk(const std::vector<double> &points, const std::vector<double> &weights) const;

    const model::Problem &
    problem() const
    {
      return the_problem;
    }

  private:
    /// The block radii held in z, clamped below at 1e-100.
    std::vector<double>
    radii(const double *z) const;
    /// What Mehler's series needs of one argument z in one class.
    struct SeriesPoint
    {
      bool                plus;          ///< the class
      double              std_dev;     ///< sx, the standard deviation of <w, x>
      std::vector<double> d_std_dev;   ///< d sx / d r_b
      std::vector<double> beta;        ///< s_b r_b / sx (sum of squares 1)
      std::vector<double> hermite;     ///< a_n(sx), n < n_terms + 2
      double              second_moment; ///< E sigma(X)^2
      std::vector<double> tail_energy;      ///< sum_{k >= n} a_k(sx)^2 (upper bound), even n <= n_terms
      std::vector<double> even_tail_energy; ///< the same over even k only
    };
    /// The series data of radii @p r in class @p plus with @p n_terms terms (even).
    SeriesPoint
    series_point(bool plus, const std::vector<double> &r, unsigned int n_terms) const;
    /**
     * The class part of u-bar by Mehler's series: with Hermite coefficients
     * a_n of sigma, u = sum_n a_n(sx) a_n(sx') E[rho^n], where
     * rho = sum_b alpha_b c_b, alpha_b = beta_b beta'_b, and the moments of the
     * independent cosines c_b ~ mu_{m_b} are known exactly. Terms are added
     * (even n; odd moments vanish) until the tail bound
     * E[rho^N] sqrt(T_N(sx) T_N(sx')) (|rho| <= 1 and Cauchy-Schwarz, T_N the
     * tail energies of the even coefficients) is below 1e-14 sqrt(E sigma(X)^2 E sigma(X')^2); returns
     * false if that needs more terms than both points carry. Writes du/dr_b
     * into @p du if not null.
     */
    bool
    series_class_kernel(const SeriesPoint &p, const SeriesPoint &q, double &u, double *du) const;
    /// The class-@p plus part of u-bar by the tensor product of the blocks'
    /// angular rules; adds du/dr_b to @p du if not null. Given the points'
    /// series data (and no gradient), nodes where Mehler's series converges
    /// use it.
    double
    quadrature_class_kernel(bool                       plus,
                            const std::vector<double> &r,
                            const std::vector<double> &rp,
                            double                    *du,
                            const SeriesPoint         *series_p = nullptr,
                            const SeriesPoint         *series_q = nullptr) const;
    /// Per-point data for many pair kernels among @p points: each point's
    /// radii and series data, computed once (empty unless the exact kernel).
    struct PreparedPoints
    {
      const std::vector<double>       *points;
      std::vector<std::vector<double>> radii;
      std::vector<SeriesPoint>         series[2]; // [plus]
    };
    PreparedPoints
    prepare(const std::vector<double> &points) const;
    /// U(z_i, z_j) of prepared points: the series, or the quadrature with
    /// the series at the nodes where it converges.
    double
    prepared_U(const PreparedPoints &prepared, unsigned int i, unsigned int j) const;
    /// U(z, z'), and its gradient in z if @p grad is not null.
    double
    evaluate_U(const double *z, const double *zp, double *grad) const;

    const model::Problem                 &the_problem;
    std::shared_ptr<GaussianExpectations> expectations;
    std::vector<AngularQuadrature>        angular; // one per input block
    unsigned int                          max_series_terms;
    /// E[c1^k c2^(n-k)] binom(n, k) for even n, k <= max_series_terms (one block: E[c^n]);
    /// row n/2 holds n/2 + 1 entries (even k)
    std::vector<std::vector<double>>      moment_weights;
  };
} // namespace mfdd::kernels
