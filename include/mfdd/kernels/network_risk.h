#pragma once

#include <mfdd/model/problem.h>

#include <mpi.h>

#include <memory>
#include <vector>

namespace mfdd::kernels
{
  class GaussianExpectations;
  class PopulationKernels;

  /**
   * The exact risk of a width-N network in full dimension d (doc/theory.md §1),
   *
   *   R_N = E[y^2] + (2 alpha/N) sum_i V(theta_i) + (alpha/N)^2 sum_{i,j} U(theta_i, theta_j),
   *
   * from the actual pair covariances of the neurons (no Monte Carlo), diagonal
   * terms included.
   */
  class NetworkRisk
  {
  public:
    explicit NetworkRisk(const model::Problem &problem);
    ~NetworkRisk();

    struct Result
    {
      double risk;
      /// (alpha/N)^2 sum_i [U(theta_i, theta_i) - U-bar(z_i, z_i)]: the part of
      /// R_N that the angle-averaged kernel does not have (doc/theory.md §5).
      double self_interaction;
    };

    /**
     * @p weights holds the N_local x d weights w_i of this rank's neurons row
     * by row, @p amplitudes their a_i (ignored for a fixed second layer).
     * Every rank passes its own neurons; the result, equal on all ranks, does
     * not depend on how the neurons are split.
     */
    Result
    operator()(const double *weights,
               const double *amplitudes,
               unsigned int  n_local,
               MPI_Comm      comm = MPI_COMM_SELF) const;

  private:
    const model::Problem                 &problem;
    std::shared_ptr<GaussianExpectations> expectations;
    /// The angle-averaged kernel U-bar(z_i, z_i) of the self-interaction part.
    std::shared_ptr<PopulationKernels> reduced_kernels;
    /// Mehler series used for |rho| < max_series_correlation, with
    /// series_length[bin of |rho|] terms.
    double                    max_series_correlation;
    std::vector<unsigned int> series_length;
  };
} // namespace mfdd::kernels
