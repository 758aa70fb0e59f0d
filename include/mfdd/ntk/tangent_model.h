#pragma once

#include <mfdd/model/problem.h>
#include <mfdd/ntk/radial_law.h>
#include <mfdd/particles/sgd.h>

#include <mpi.h>

#include <vector>

namespace mfdd::ntk
{
  /**
   * The finite-N tangent (linearised) model of a network with a trainable
   * second layer, trained by mfdd's alpha-scaled one-pass SGD: the second,
   * independent route to the kernel limit.
   *
   *   f_lin(x) = f_alpha(x; Theta^0) + (alpha/N) sum_j <grad sigma_*(x; theta_j^0), theta_j - theta_j^0>,
   *   theta_j += (2 s_k/alpha) (y_k - f_lin(x_k)) grad sigma_*(x_k; theta_j^0),
   *
   * started from the symmetrised initialisation (a_i, w_i), (-a_i, w_i) (N even),
   * so f_alpha(x; Theta^0) = 0 exactly. In terms of eta_j = alpha (theta_j -
   * theta_j^0) the model reads f_lin = (1/N) sum_j <g_j(x), eta_j>, eta_j +=
   * 2 s_k (y_k - f_lin(x_k)) g_j(x_k) with g_j = grad sigma_*(.; theta_j^0): it
   * does not depend on alpha in mfdd time, which is why one run serves every
   * alpha. This class stores eta.
   *
   * The initial neurons, their partition over the ranks of @p comm and the
   * samples (x_k, y_k) are those of the particles::SgdSimulator with the
   * symmetrised initialisation, batch size 1 and the same seed and epsilon
   * (Philox streams): from the same start, SGD and tangent model see the same
   * data. Each step communicates once (MPI_Allreduce of the prediction), so
   * a run is the same for every number of ranks, to round-off. The test
   * sample has its own Philox stream (particles::RandomStreams::test_sample).
   */
  class TangentModel
  {
  public:
    /// @p epsilon: SGD step (step k uses epsilon xi(k epsilon)); Problem/Final
    /// time / epsilon must be an integer (as for particles::SgdSimulator).
    TangentModel(const model::Problem &problem,
                 unsigned int          n_neurons,
                 double                epsilon,
                 unsigned int          seed,
                 MPI_Comm              comm);

    unsigned int
    n_neurons() const
    {
      return sgd_parameters.N;
    }
    /// The SGD run whose initial neurons (this rank's: weights(), amplitudes(),
    /// first_neuron(), n_local()) and samples (samples(k, x, y)) this model uses.
    /// It is never stepped.
    particles::SgdSimulator &
    initial_network()
    {
      return network;
    }
    /// eta of this rank's neurons: component a (n_local()), and w (n_local() x d).
    const std::vector<double> &
    amplitude_displacements() const
    {
      return eta_amplitude;
    }
    const std::vector<double> &
    weight_displacements() const
    {
      return eta_weights;
    }
    /// Number of SGD steps done.
    unsigned long
    step_index() const
    {
      return k;
    }

    /// f_lin(x) (collective).
    double
    predict(const double *x);

    /// Runs SGD steps k -> round(@p t_end / epsilon) on the SgdSimulator's samples.
    void
    train(double t_end);

    /// Draws the fixed test sample of @p size points (the same on every rank); call before risk().
    void
    draw_test_sample(unsigned int size);

    /// Monte Carlo estimate of the risk R = E[Var(y|x)] + E[(f(x) - f_lin(x))^2]
    /// on the fixed test sample (label noise integrated exactly through
    /// f = E[y|x] from @p law), with the standard error of the estimate.
    /// Collective; one MPI_Allreduce of the test-sample predictions.
    struct RiskEstimate
    {
      double risk;
      double standard_error;
    };
    RiskEstimate
    risk(const RadialLaw &law);

  private:
    /// (1/N) sum over this rank's neurons of <g_j(x), eta_j>; leaves g_j(x)
    /// (as sigma(<w_j,x>) and a_j sigma'(<w_j,x>)) in the scratch arrays.
    double
    local_prediction(const double *x);

    const model::Problem     &problem;
    particles::SgdParameters  sgd_parameters;
    particles::SgdSimulator   network;
    MPI_Comm                  comm;
    unsigned int              d;
    unsigned long             k = 0;
    /// eta_j = alpha (theta_j - theta_j^0): component a, then the d components of w.
    std::vector<double> eta_amplitude, eta_weights;
    std::vector<double> sample_input, sample_label, test_inputs;
    /// scratch: sigma and a sigma' at the current input
    std::vector<double> activation_values, amplitude_derivatives;
  };
} // namespace mfdd::ntk
