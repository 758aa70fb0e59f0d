#pragma once

#include <mfdd/model/problem.h>
#include <mfdd/ntk/radial_law.h>

#include <boost/random/mersenne_twister.hpp>

#include <cstdint>
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
   * Random numbers (Boost.Random on mt19937_64, portable): the initial
   * neurons, the SGD samples and the test sample come from three streams
   * seeded from @p seed, so a seed reproduces a run.
   */
  class TangentModel
  {
  public:
    TangentModel(const model::Problem &problem, unsigned int n_neurons, std::uint64_t seed);

    unsigned int
    n_neurons() const
    {
      return amplitudes.size();
    }
    /// Initial neurons: a_j and w_j (row j of an N x d array).
    const std::vector<double> &
    initial_amplitudes() const
    {
      return amplitudes;
    }
    const std::vector<double> &
    initial_weights() const
    {
      return weights;
    }

    /// f_lin(x)
    double
    predict(const double *x) const;

    /// One SGD step on (x, y) with step size s (= epsilon xi(k epsilon)).
    void
    step(const double *x, double y, double step_size);

    /// Runs SGD with step epsilon from the current state (time @p t_start) to
    /// time @p t_end, drawing fresh samples from this model's data stream.
    void
    train(double t_start, double t_end, double epsilon);

    /// Monte Carlo estimate of the risk R = E[Var(y|x)] + E[(f(x) - f_lin(x))^2]
    /// on this model's fixed test sample (label noise integrated exactly through
    /// f = E[y|x] from @p law), with the standard error of the estimate.
    struct RiskEstimate
    {
      double risk;
      double standard_error;
    };
    RiskEstimate
    risk(const RadialLaw &law) const;

    /// Draws the fixed test sample (its own stream); call before risk().
    void
    draw_test_sample(unsigned int size);

  private:
    const model::Problem &problem;
    unsigned int          d;
    std::vector<double>   amplitudes, weights;
    /// eta_j = alpha (theta_j - theta_j^0): component a, then the d components of w.
    std::vector<double>   eta_amplitude, eta_weights;
    boost::random::mt19937_64 data_stream, test_stream;
    std::vector<double>       sample_input, test_inputs;
    /// scratch: sigma and a sigma' at the current sample
    mutable std::vector<double> activation_values, amplitude_derivatives;
  };
} // namespace mfdd::ntk
