// particles/ owns the SGD side of doc/theory.md §2: N neurons in full dimension d,
// trained by one-pass (noisy, mini-batch, alpha-scaled) SGD on fresh samples,
// partitioned over MPI ranks. It reads the problem from model/ and the exact
// risk R_N from kernels/; it knows nothing of meshes or the PDE.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/kernels/network_risk.h>
#include <mfdd/model/problem.h>
#include <mfdd/model/reduced_law.h>
#include <mfdd/particles/random_streams.h>

#include <deal.II/base/parameter_handler.h>

#include <mpi.h>

#include <memory>
#include <vector>

namespace mfdd::particles
{
  /**
   * The `SGD` section: network width, step size, batch size, seed and what is
   * recorded. The output times are those of the `Output` section (read here
   * too, so that a simulator needs nothing else).
   */
  struct SgdParameters
  {
    unsigned int N                        = 1000;
    double       epsilon                  = 1e-3;
    unsigned int batch_size               = 1;
    /// Steps per block of the blocked update (doc/theory.md §10); 1 = step by
    /// step, 0 = automatic (steps_per_block()). `SGD/Block length` declares
    /// automatic; a struct built by hand steps one by one.
    unsigned int block_length             = 1;
    unsigned int seed                     = 1;
    bool         symmetric_initialisation = false;
    bool         record_exact_risk        = true;
    /// Record R_N at every n-th output time; 0 = automatic (see exact_risk_period()).
    unsigned int exact_risk_every = 0;
    /// Automatic mode: the largest share of the run's time the exact risk may take.
    double exact_risk_share = 0.2;
    /// How R_N is recorded: exactly (O(N^2 d)), sampled (kernels::NetworkRisk::sampled,
    /// O(N d^2 + M d)) or automatic (see resolved_risk_estimate()). `SGD/Risk
    /// estimate` declares automatic; a struct built by hand records the exact risk.
    enum class RiskEstimate
    {
      exact,
      sampled,
      automatic
    };
    RiskEstimate risk_estimate = RiskEstimate::exact;
    /// Number M of sampled pairs of a sampled record.
    unsigned long risk_sample_pairs = 4000000;
    /// Output/Output interval
    double output_interval = 0.1;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// Reads the SGD section and Output/Output interval; InputError for an impossible value.
    void
    parse_parameters(dealii::ParameterHandler &prm);

    /// Checks the parameters against @p problem (T/epsilon an integer, noise
    /// only with alpha = 1, symmetric initialisation only with a trainable
    /// second layer and even N); InputError naming the parameter otherwise.
    void
    check(const model::Problem &problem) const;

    /// Number of output times: multiples of output_interval below T, then T (as the PDE).
    unsigned int
    n_output_times(const model::Problem &problem) const;

    /// The block length m: block_length, or if 0, 2 sqrt(d) / B rounded and at least 2.
    unsigned int
    steps_per_block(const model::Problem &problem) const;

    /// T/epsilon (check() makes sure it is an integer up to rounding).
    unsigned long
    n_steps(const model::Problem &problem) const;

    /**
     * Every how many output times R_N is recorded (output times 0, p, 2p, ...),
     * 0 = never. An exact record costs O(N^2 d) (N^2/2 pair expectations), a
     * sampled one O(N d^2 + M d), the whole run O(2 N d B T/epsilon); automatic mode (exact_risk_every = 0) spreads
     * as many records over the @p n_output_times as fit in exact_risk_share of
     * the steps' estimated cost, and none if not even one fits.
     */
    unsigned int
    exact_risk_period(const model::Problem &problem, unsigned int n_output_times) const;

    /**
     * exact or sampled: risk_estimate, or if automatic the exact risk where it
     * is the cheaper record or where its records at every output time fit in
     * exact_risk_share of the steps' cost, and the sampled one otherwise.
     */
    RiskEstimate
    resolved_risk_estimate(const model::Problem &problem) const;

    /// Estimated cost of a whole run, in multiply-adds on a weight: the steps
    /// and the R_N records of exact_risk_period() (the model it uses).
    double
    estimated_cost(const model::Problem &problem) const;

    /// estimated_cost() in seconds of one core, at a rate measured on whole runs.
    double
    estimated_core_seconds(const model::Problem &problem) const;

  private:
    double
    steps_cost(const model::Problem &problem) const;
    /// Cost of one record of the resolved estimate.
    double
    record_cost(const model::Problem &problem) const;
    double
    record_cost(const model::Problem &problem, RiskEstimate estimate) const;
  };

  /**
   * sigma_*(x; theta) and its gradient in theta for one neuron, theta = w
   * (fixed second layer, @p a ignored) or theta = (a, w): grad_a = sigma(<w,x>),
   * grad_w = a sigma'(<w,x>) x. @p gradient receives D entries, a first.
   * Returns sigma_*(x; theta).
   */
  double
  neuron_output_and_gradient(const model::Problem &problem,
                             double                a,
                             const double         *w,
                             const double         *x,
                             double               *gradient);

  /**
   * The state of one SGD run and its step. Neuron i of the N lives on rank
   * r if it falls in r's contiguous block (sizes differ by at most one).
   * Every random number is a function of (seed, stream, index, step): the
   * initial neuron i of counter (seed, i), the samples of step k of (seed, k)
   * on every rank, the noise of neuron i at step k of (seed, i, k). So a run
   * is the same, to round-off, for every number of ranks.
   */
  class OrderedSum;
  struct BlockWorkspace;

  class SgdSimulator
  {
  public:
    SgdSimulator(const model::Problem &problem, const SgdParameters &parameters, unsigned int seed, MPI_Comm comm);

    /**
     * Runs from the current step to T/epsilon and returns the states at the
     * output times (the current one included). With @p output non-null, rank 0
     * writes sgd_diagnostics.csv, sgd_reduced_<n>.csv and (Output/Write vtu)
     * sgd_<n>.vtu with sgd.pvd into its folder; @p progress prints progress lines.
     * Throws io::RunError if a weight becomes NaN or infinite.
     */
    model::ReducedLawTrajectory
    run(const io::OutputParameters *output = nullptr, bool progress = false);

    /// One SGD step k -> k + 1.
    void
    step();

    /// Steps k -> @p end (what run() does between output times): the
    /// trajectory of repeated step(). Without noise and with SGD/Block length
    /// m > 1, in blocks of m steps (doc/theory.md §10: the same arithmetic up to
    /// the order of additions); else for B = 1 without weight decay each
    /// update is fused with the next step's products (the same bits as
    /// step()). Returns the sum of the per-sample losses.
    /// With @p keep_block_layout the blocked steps leave the weights in the
    /// layout of their products for the next call instead of copying them
    /// back (run() between output times): a reference to weights() taken
    /// before is then out of date until weights() is called again.
    double
    advance(unsigned long end, bool keep_block_layout = false);

    /// The B samples of step k (x row by row, B x d) and their labels; the same on every rank.
    void
    samples(unsigned long k, std::vector<double> &x, std::vector<double> &y) const;

    /// Applies one step on given samples (@p x: B x d row by row) with step size @p s;
    /// returns the mean per-sample loss (y - f_alpha(x))^2 at the current weights.
    double
    update(const std::vector<double> &x, const std::vector<double> &y, double s, unsigned long k);

    /// R_N(Theta) and its self-interaction part (collective).
    kernels::NetworkRisk::Result
    exact_risk() const;

    /// R_N as SGD/Risk estimate asks: exact, or sampled from the pairs of
    /// record @p record (collective; the same bits for every number of ranks).
    kernels::NetworkRisk::Result
    recorded_risk(unsigned int record) const;

    /// All neurons' reduced coordinates, row by row (collective; every rank gets them).
    std::vector<double>
    gathered_reduced_coordinates() const;

    unsigned long
    step_index() const
    {
      return k;
    }
    unsigned int
    n_local() const
    {
      return n_mine;
    }
    unsigned int
    first_neuron() const
    {
      return first;
    }
    /// This rank's weights, n_local() x d row by row, and amplitudes a_i (1 for a fixed second layer).
    std::vector<double> &
    weights()
    {
      restore_weights();
      return w;
    }
    std::vector<double> &
    amplitudes()
    {
      return a;
    }

  private:
    void
    initialise_neurons();
    /// Copies the weights back into w if the blocked steps kept them in their layout.
    void
    restore_weights() const;
    /// The NetworkRisk of the problem, made on first use.
    const kernels::NetworkRisk &
    risk_kernels() const;
    double
    step_size(unsigned long step) const;
    /// Steps k -> @p end for B = 1 without noise or weight decay, each update
    /// fused with the next step's products <w_i, x_{k+1}> (the samples do not
    /// depend on the weights); the same arithmetic as update(). Returns the
    /// sum of the per-sample losses.
    double
    fused_steps(unsigned long end);
    /// Steps k -> @p end in blocks of parameters.block_length steps (no noise):
    /// each block's products and updates are matrix-matrix products on
    /// WeightPanels, the steps within it add the updates of the earlier
    /// steps through the Gram matrix of the block's samples (doc/theory.md §10).
    double
    blocked_steps(unsigned long end, bool keep_block_layout);
    /// The update coefficients c_b = (2 s / alpha) (y_b - f_alpha(x_b)) / B of the
    /// step @p step from the labels @p y and the network outputs @p prediction
    /// (B each); returns the mean per-sample loss. RunError if an output is not finite.
    double
    step_coefficients(const double *y, const double *prediction, double s, unsigned long step, double *coefficient) const;
    /// The samples of steps [@p first, @p first + @p n) one after the other (n B rows of d) and their labels.
    void
    block_samples(unsigned long first, unsigned int n, std::vector<double> &x, std::vector<double> &y) const;

    const model::Problem &problem;
    const SgdParameters   parameters;
    const unsigned int    seed;
    MPI_Comm              comm;
    const unsigned int    d;
    unsigned int          first = 0, n_mine = 0;
    unsigned long         k = 0;
    /// w is out of date while the blocked steps' workspace holds the
    /// weights (advance() with keep_block_layout); restore_weights() refreshes it.
    mutable std::vector<double> w;
    std::vector<double>         a;
    // Work arrays of a step: <w_i, x_b>, sigma and sigma' there, samples.
    std::vector<double>                  sigma_values, sigma_derivatives, x_batch, y_batch, x_next, y_next;
    /// The network output summed in an order independent of the partition.
    std::shared_ptr<OrderedSum> output_sum;
    std::shared_ptr<kernels::NetworkRisk> network_risk;
    /// The weights in panels and the arrays of a block, kept from one blocked_steps() to the next.
    std::shared_ptr<BlockWorkspace> block_workspace;
  };

  /// One run without files: what `mfdd compare`, `mfdd study` and `mfdd kernel` call per seed.
  model::ReducedLawTrajectory
  run_sgd(const model::Problem &problem, const SgdParameters &parameters, unsigned int seed, MPI_Comm comm);
} // namespace mfdd::particles
