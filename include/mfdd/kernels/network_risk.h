#pragma once

#include <mfdd/model/problem.h>

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace mfdd::kernels
{
  class GaussianExpectations;
  class PopulationKernels;

  /**
   * The risk of a width-N network in full dimension d (doc/theory.md §1),
   *
   *   R_N = E[y^2] + (2 alpha/N) sum_i V(theta_i) + (alpha/N)^2 sum_{i,j} U(theta_i, theta_j),
   *
   * from the actual pair covariances of the neurons, diagonal terms included:
   * exactly over all N^2/2 pairs (operator()), or with the off-diagonal pair
   * sum estimated from sampled pairs (sampled(), doc/theory.md §5).
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
      /// Standard error of a sampled risk (0 for the exact one).
      double standard_error = 0.;
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

    /// The pair stream and the size of a sampled estimate.
    struct Sampling
    {
      /// Number M of sampled pairs (rounded up to a multiple of 16).
      unsigned long pairs = 4000000;
      /// Philox key (seed, stream) and the record's index: the pairs are a
      /// function of these and of N only.
      std::uint64_t seed = 0, stream = 0, record = 0;
      /// Terms of the Mehler series in the control variate (0: plain
      /// sampling; at most 3).
      unsigned int control_terms = 3;
    };

    /**
     * R_N with the off-diagonal sum S = sum_{i != j} U_ij estimated as
     * S = sum_{i != j} H_ij + sum_{i != j} (U_ij - H_ij), where H_ij, the first
     * Sampling::control_terms terms of the Mehler series of U_ij, has an exact
     * sum in O(N d^2) (tensor moments of the neurons), and the second sum is
     * estimated from M uniformly drawn pairs (i != j) over global indices.
     * The diagonal, V and self-interaction terms are exact. The result
     * (standard error included) has the same bits for every number of ranks
     * and every split of the neurons.
     */
    Result
    sampled(const double   *weights,
            const double   *amplitudes,
            unsigned int    n_local,
            const Sampling &sampling,
            MPI_Comm        comm = MPI_COMM_SELF) const;

  private:
    struct Neurons;
    struct Column;
    struct Correlations;

    /// Gathers all ranks' neurons and computes what the pair terms need of each.
    Neurons
    prepare(const double *weights, const double *amplitudes, unsigned int n_local, MPI_Comm comm) const;
    /// a_i V(theta_i), a_i^2 U(theta_i, theta_i) and its self-interaction part.
    void
    diagonal_terms(const Neurons &neurons, unsigned int i, double &linear, double &diagonal, double &self) const;
    /// The correlations rho of neuron i with a block of neurons j in both classes.
    void
    correlations(const Neurons &neurons, unsigned int i, const Column &column, Correlations &result) const;
    /**
     * u[jj] = U(theta_i, theta_j) / (a_i a_j) for the block, from Mehler's
     * series (or the closed form where |rho| is large); with @p control not
     * null, control[jj] = the same series cut after @p control_terms terms.
     */
    void
    pair_values(const Neurons      &neurons,
                unsigned int        i,
                const Column       &column,
                const Correlations &rho,
                double             *u,
                unsigned int        control_terms = 0,
                double             *control       = nullptr) const;

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
