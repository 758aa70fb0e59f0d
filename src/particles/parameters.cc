#include <mfdd/io/input_error.h>
#include <mfdd/particles/sgd.h>

#include "activity_pattern.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mfdd::particles
{
  using io::require;

  void
  SgdParameters::declare_parameters(dealii::ParameterHandler &prm)
  {
    using namespace dealii::Patterns;
    prm.enter_subsection("SGD");
    prm.declare_entry("Number of neurons N", "1000", Integer(1),
                      "Width N >= 1 of the network. N need not be divisible by the number of MPI "
                      "ranks: every rank holds a contiguous block of N/ranks (rounded) neurons.");
    prm.declare_entry("Step size epsilon", "1e-3", Double(0.),
                      "SGD step size epsilon > 0: step k uses s_k = epsilon xi(k epsilon) and is "
                      "PDE time t = k epsilon. Problem/Final time / epsilon must be an integer.");
    prm.declare_entry("Batch size B", "1", Integer(1),
                      "Mini-batch size B >= 1: a step averages the B per-sample updates, all "
                      "computed at the same weights (B = 1 is the theory's case).");
    prm.declare_entry("Block length", "automatic", Anything(),
                      "Steps per block of the blocked update (doc/theory.md §10): the products and "
                      "updates of m steps are matrix-matrix products over the weights, read once per "
                      "block; the trajectory is the step-by-step one up to the order of additions "
                      "(round-off). A positive integer (1 = step by step) or 'automatic': m = 2 sqrt(d) / B "
                      "rounded, at least 2, which balances the weights read per step (2 N d / m) against "
                      "the triangular correction (N m B^2 / 2); for the ReLUs with a fixed second layer, "
                      "whose correction and update are table lookups per neuron, m = 16 + 0.4 d clamped to "
                      "[16, 64] and rounded up to a multiple of 8, divided by B and rounded, at least 2. "
                      "benchmarks/sgd_step blocks measures it. "
                      "Noisy SGD (tau > 0) always steps one by one.");
    prm.declare_entry("Seed", "1", Integer(0),
                      "Seed of the run (non-negative integer). Initial neurons, samples and noise are "
                      "functions of (seed, neuron, step) only, so a seed identifies a trajectory "
                      "whatever the number of MPI ranks.");
    prm.declare_entry("Symmetric initialisation", "false", Bool(),
                      "Start from pairs of neurons (a, w), (-a, w) (neurons 2j and 2j+1), so that "
                      "the network output is 0 at t = 0 (kernel-limit studies). Needs a trainable "
                      "second layer and an even N.");
    prm.declare_entry("Record exact risk", "true", Bool(),
                      "Record the exact risk R_N(Theta^k) (and its self-interaction part) at output "
                      "times. A record costs N^2/2 pair expectations (O(N^2 d)); see 'Exact risk every'.");
    prm.declare_entry("Exact risk every", "0", Integer(0),
                      "Record R_N at every n-th output time (t = 0 included; NaN in between). 0 = "
                      "automatic: as many records, evenly spread, as fit in 'Exact risk share' of the "
                      "estimated cost of the SGD steps (every output time when the run is long against "
                      "N^2/2 pair terms per record; none if not even one fits, so that R_N never "
                      "dominates a run).");
    prm.declare_entry("Exact risk share", "0.2", Double(0.),
                      "Automatic 'Exact risk every': the largest share (> 0) of the estimated SGD cost "
                      "that recording R_N may add.");
    prm.declare_entry("Risk estimate", "automatic", Selection("exact|sampled|automatic"),
                      "How a record computes R_N (doc/theory.md §5). 'exact': all N^2/2 pairs, O(N^2 d). "
                      "'sampled': the diagonal and V terms exactly, the off-diagonal pair sum from "
                      "'Risk sample pairs' random pairs with the first three terms of the Mehler series "
                      "(summed exactly over all pairs, O(N d^2)) as control variate; unbiased, its standard "
                      "error goes to the column risk_standard_error; the same for any number of MPI ranks. "
                      "'automatic': exact where it is the cheaper record or where exact records at every "
                      "output time fit in 'Exact risk share', sampled otherwise. 'Record exact risk', "
                      "'Exact risk every' and 'Exact risk share' apply to either estimate.");
    // Measured with benchmarks/risk_estimate (running example after SGD to
    // t = 1, one core, M = 4e6): standard error 9.8e-6 in 1.1 s per record at
    // N = 25600, d = 40; 5.0e-6 in 1.5 s at d = 100; at N = 102400 9.9e-6 in
    // 3.4 s (d = 40) and 5.0e-6 in 3.7 s (d = 100), mostly per-neuron work.
    // Plain pair sampling: 1.6e-3 and 1.3e-3 at M = 1e6 (80x and 130x larger).
    prm.declare_entry("Risk sample pairs", "4000000", Anything(),
                      "Number M >= 1 of sampled pairs of a sampled R_N (rounded up to a multiple of 16). "
                      "The standard error falls as 1/sqrt(M), the cost grows as M (d + 330) multiply-adds.");
    prm.leave_subsection();
  }

  void
  SgdParameters::parse_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("SGD");
    N                        = prm.get_integer("Number of neurons N");
    epsilon                  = prm.get_double("Step size epsilon");
    batch_size               = prm.get_integer("Batch size B");
    const std::string length = prm.get("Block length");
    if (length == "automatic")
      block_length = 0;
    else
      {
        std::size_t end = 0;
        long        value = 0;
        try
          {
            value = std::stol(length, &end);
          }
        catch (const std::exception &)
          {
            end = 0;
          }
        require(end == length.size() && end > 0 && value >= 1 && value <= 4096, "SGD/Block length",
                "must be 'automatic' or an integer from 1 to 4096 (got '" + length + "')");
        block_length = value;
      }
    seed                     = prm.get_integer("Seed");
    symmetric_initialisation = prm.get_bool("Symmetric initialisation");
    record_exact_risk        = prm.get_bool("Record exact risk");
    exact_risk_every         = prm.get_integer("Exact risk every");
    exact_risk_share         = prm.get_double("Exact risk share");
    const std::string estimate = prm.get("Risk estimate");
    risk_estimate = estimate == "exact" ? RiskEstimate::exact :
                    estimate == "sampled" ? RiskEstimate::sampled : RiskEstimate::automatic;
    const std::string pairs = prm.get("Risk sample pairs");
    double            value = 0.;
    std::size_t       end   = 0;
    try
      {
        value = std::stod(pairs, &end);
      }
    catch (const std::exception &)
      {
        end = 0;
      }
    require(end == pairs.size() && end > 0 && value >= 1. && value <= 1e13 && value == std::floor(value),
            "SGD/Risk sample pairs", "must be a positive integer of at most 1e13 (got '" + pairs + "')");
    risk_sample_pairs = static_cast<unsigned long>(value);
    prm.leave_subsection();
    prm.enter_subsection("Output");
    output_interval = prm.get_double("Output interval");
    prm.leave_subsection();

    require(epsilon > 0. && std::isfinite(epsilon), "SGD/Step size epsilon", "must be positive");
    require(exact_risk_share > 0., "SGD/Exact risk share", "must be positive");
    require(!symmetric_initialisation || N % 2 == 0, "SGD/Symmetric initialisation",
            "pairs neurons, so SGD/Number of neurons N must be even (got " + std::to_string(N) + ")");
    require(output_interval > 0., "Output/Output interval", "must be positive");
  }

  void
  SgdParameters::check(const model::Problem &problem) const
  {
    const double steps = problem.final_time / epsilon;
    require(std::abs(steps - std::round(steps)) <= 1e-9 * std::max(1., steps) && std::round(steps) >= 1.,
            "SGD/Step size epsilon",
            "Problem/Final time / epsilon = " + std::to_string(steps) +
              " is not a positive integer; choose epsilon dividing the final time");
    require(steps < 1e15, "SGD/Step size epsilon", "is too small for the final time (more than 1e15 steps)");
    require(problem.alpha == 1. || (problem.temperature == 0. && problem.weight_decay == 0.),
            "Problem/Temperature tau",
            "noisy SGD (tau > 0 or lambda > 0) is only defined for Problem/Scaling alpha = 1");
    require(!symmetric_initialisation || problem.trainable_second_layer, "SGD/Symmetric initialisation",
            "pairs (a, w) with (-a, w): set Problem/Second layer = trainable");
    require(!symmetric_initialisation || N % 2 == 0, "SGD/Symmetric initialisation",
            "pairs neurons, so SGD/Number of neurons N must be even (got " + std::to_string(N) + ")");
  }

  unsigned int
  SgdParameters::steps_per_block(const model::Problem &problem) const
  {
    if (block_length > 0)
      return block_length;
    // The triangular correction costs N m B^2 / 2 multiply-adds a step, or
    // N m B^2 / 8 table lookups for the ReLUs with a fixed second layer
    // (ActivityPattern), which leaves the weights' traffic (2 N d / m) to
    // balance against the block's products kept per neuron (N m B). With the
    // lookups' update by groups of 8 samples (WeightPanels), the best blocks
    // measured 16-24 samples at d = 2 to 20, 24-32 at d = 40, 48-64 at
    // d = 100 (benchmarks/sgd_step blocks at N = 1000 to 1e5): 16 + 0.4 d
    // rounded up to whole groups, within [16, 64].
    const double samples = ActivityPattern::derivative_value(problem) != 0. ?
                             8. * std::ceil(std::clamp(16. + 0.4 * problem.d, 16., 64.) / 8.) :
                             2. * std::sqrt(double(problem.d));
    return std::max(2, int(std::lround(samples / batch_size)));
  }

  unsigned long
  SgdParameters::n_steps(const model::Problem &problem) const
  {
    return static_cast<unsigned long>(std::llround(problem.final_time / epsilon));
  }

  unsigned int
  SgdParameters::n_output_times(const model::Problem &problem) const
  {
    const double T = problem.final_time;
    unsigned int n = 0;
    while (n * output_interval < T - 1e-12 * T)
      ++n;
    return n + 1;
  }

  // Cost model in units of one multiply-add on a weight: a step takes 2 N d B
  // (the products and the update); a record takes N^2/2 pairs, each a d-term
  // dot product plus the pair expectations of the two classes, together about
  // kPairCost multiply-adds (measured by benchmarks/sgd_step: "pair cost").
  double
  SgdParameters::steps_cost(const model::Problem &problem) const
  {
    return double(n_steps(problem)) * 2. * double(N) * problem.d * batch_size;
  }

  double
  SgdParameters::record_cost(const model::Problem &problem) const
  {
    return record_cost(problem, resolved_risk_estimate(problem));
  }

  // A sampled record: M pairs at about 1.5 exact pairs each (they are read in
  // short runs, not streamed), the moments of the control variate (two classes
  // of N d^2/2) and per neuron its Hermite coefficients, V, U(theta_i, theta_i)
  // and U-bar(z_i, z_i), about kNeuronCost (benchmarks/risk_estimate: the
  // O(N) part of a record is 16 us per neuron, the pairs 65 ns each at d = 40).
  double
  SgdParameters::record_cost(const model::Problem &problem, RiskEstimate estimate) const
  {
    constexpr double kPairCost = 330., kSampledPair = 1.5, kNeuronCost = 4e4;
    const double     d         = problem.d;
    if (estimate == RiskEstimate::exact)
      return 0.5 * double(N) * N * (d + kPairCost);
    return kSampledPair * double(risk_sample_pairs) * (d + kPairCost) + double(N) * (d * d + kNeuronCost);
  }

  SgdParameters::RiskEstimate
  SgdParameters::resolved_risk_estimate(const model::Problem &problem) const
  {
    if (risk_estimate != RiskEstimate::automatic)
      return risk_estimate;
    const double exact = record_cost(problem, RiskEstimate::exact);
    return exact <= record_cost(problem, RiskEstimate::sampled) ||
               n_output_times(problem) * exact <= exact_risk_share * steps_cost(problem) ?
             RiskEstimate::exact :
             RiskEstimate::sampled;
  }

  unsigned int
  SgdParameters::exact_risk_period(const model::Problem &problem, unsigned int n_output_times) const
  {
    if (!record_exact_risk)
      return 0;
    if (exact_risk_every > 0)
      return exact_risk_every;
    // Strictly within the share, so the records never dominate a run: a run
    // too short to pay for one record gets none ('Exact risk every' forces them).
    const double affordable = std::floor(exact_risk_share * steps_cost(problem) / record_cost(problem));
    if (affordable < 1.)
      return 0;
    if (affordable < 2. || n_output_times < 2)
      return n_output_times; // t = 0 only
    // Records at 0, p, 2p, ...: the last output time is one of them when p divides n - 1.
    return static_cast<unsigned int>(
      std::ceil((n_output_times - 1.) / std::min<double>(affordable - 1., n_output_times - 1.)));
  }

  double
  SgdParameters::estimated_core_seconds(const model::Problem &problem) const
  {
    // Multiply-adds on a weight per second and core, whole runs included.
    // Step by step: 8.4e9 at (N, d) = (1000, 40) and 6e9 at (10000, 100) for
    // the step alone (benchmarks/sgd_step.sh); params/study_full.prm took
    // 3.56 core-hours, which 2.5e9 estimates at 3.7. Blocked: its largest run
    // (N = 102400, d = 80, 1e5 steps, 1.6e12 multiply-adds) took 144 s of CPU
    // time with the PDE, 1.1e10 per second.
    const bool       blocked = steps_per_block(problem) > 1 && problem.temperature == 0.;
    const double     rate    = blocked ? 1e10 : 2.5e9;
    return estimated_cost(problem) / rate;
  }

  double
  SgdParameters::estimated_cost(const model::Problem &problem) const
  {
    const unsigned int n      = n_output_times(problem);
    const unsigned int period = exact_risk_period(problem, n);
    const unsigned int records = period > 0 ? (n - 1) / period + 1 : 0;
    return steps_cost(problem) + records * record_cost(problem);
  }
} // namespace mfdd::particles
