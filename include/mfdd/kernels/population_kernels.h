// kernels/ owns the population quantities of SCIENCE.md §1 and §4 evaluated
// exactly: V, U and their reduced forms v-bar, u-bar with gradients, R(rho-bar)
// for weighted points, and the exact risk R_N of a network. It knows nothing of
// meshes, particles' time stepping or files.
#pragma once

#include <mfdd/model/problem.h>

#include <memory>
#include <vector>

namespace mfdd::kernels
{
  class GaussianExpectations;
  class AngularQuadrature;

  /**
   * The reduced population kernels of SCIENCE.md §4 in the problem's reduced
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
    explicit PopulationKernels(const model::Problem &problem);
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
    /**
     * The class-@p plus part of u-bar by Mehler's series: with Hermite
     * coefficients a_n of sigma, u = sum_n a_n(sx) a_n(sx') E[rho^n], where
     * rho = sum_b s_b^2 r_b r'_b c_b / (sx sx') and the moments of the cosines
     * c_b ~ mu_{m_b} are known exactly. Its tail is at most E[rho^64] times
     * sqrt(E sigma(X)^2 E sigma(X')^2); returns false (and the caller uses the
     * angular quadrature) unless that bound is below 1e-14, i.e. for large
     * blocks (m >~ 20). Writes du/dr_b into @p du if not null.
     */
    bool
    series_class_kernel(bool                       plus,
                        const std::vector<double> &r,
                        const std::vector<double> &rp,
                        double                     sx,
                        double                     sxp,
                        const std::vector<double> &d_sx,
                        double                    &u,
                        double                    *du) const;
    /// U(z, z'), and its gradient in z if @p grad is not null.
    double
    evaluate_U(const double *z, const double *zp, double *grad) const;

    const model::Problem                 &the_problem;
    std::shared_ptr<GaussianExpectations> expectations;
    std::vector<AngularQuadrature>        angular; // one per input block
    std::vector<std::vector<double>>      moments; // E[c^k] under mu_{m_b}, per block
  };
} // namespace mfdd::kernels
