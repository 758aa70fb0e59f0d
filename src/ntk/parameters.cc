#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>
#include <mfdd/ntk/parameters.h>

#include <cmath>
#include <sstream>

namespace mfdd::ntk
{
  using dealii::Patterns::Bool;
  using dealii::Patterns::Double;
  using dealii::Patterns::Integer;
  using dealii::Patterns::Selection;
  using io::require;

  void
  KernelLimitParameters::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Kernel limit");
    prm.declare_entry("Alphas", "4, 8, 16, 32", dealii::Patterns::List(Double(), 1),
                      "Comma-separated output scalings alpha > 0 of doc/theory.md §6 at which `mfdd kernel` "
                      "runs the alpha-scaled PDE and SGD (Problem/Scaling alpha is not used by this command).");
    prm.declare_entry("Radial intervals", "8", Integer(1, 1000),
                      "Intervals of the composite Gauss-Legendre quadrature on the law of |x| (per class).");
    prm.declare_entry("Radial points per interval", "8", Integer(1, 64),
                      "Gauss points per radial interval.");
    prm.declare_entry("Angular points", "0", Integer(0, 2000),
                      "Gauss-Legendre points in theta = arccos c for the average of the kernel over the "
                      "cosine c between two inputs (the kernels library's angular quadrature); 0 chooses "
                      "them for about 1e-12 relative accuracy. Unused for d = 1.");
    prm.declare_entry("Run PDE", "true", Bool(), "Solve the alpha-scaled (a, r) PDE for every alpha.");
    prm.declare_entry("PDE error estimate", "true", Bool(),
                      "Solve the PDE a second time one level finer (one more global refinement, half a fixed "
                      "time step, more potential nodes) for every alpha and report the finer solve; the "
                      "change is the PDE's own error (an upper bound for the finer solve's), written next to "
                      "the gaps. A slope is fitted only where it sits below the smallest gap.");
    prm.declare_entry("Plots", "true", Bool(),
                      "Make the PNG plots with /usr/bin/python3 and matplotlib (scripts/plot_kernel.py).");
    prm.declare_entry("Run SGD", "true", Bool(),
                      "Run the alpha-scaled SGD (SGD section: N, epsilon, seed) with the symmetrised "
                      "initialisation (a, w), (-a, w) for every alpha.");
    prm.declare_entry("SGD seeds", "4", Integer(1, 10000),
                      "Number of SGD runs per alpha (seeds SGD/Seed, SGD/Seed + 1, ...); the curves are averaged.");
    prm.declare_entry("Run tangent model", "true", Bool(),
                      "Train the finite-N tangent (linearised) model by the same SGD: the second, "
                      "independent route to the kernel limit.");
    prm.declare_entry("Tangent model neurons", "2000", Integer(2),
                      "Width N of the tangent model (even: neurons come in pairs (a, w), (-a, w)).");
    prm.declare_entry("Tangent model epsilon", "1e-4", Double(0.),
                      "SGD step epsilon of the tangent model (step k uses epsilon xi(k epsilon)); > 0 and "
                      "Problem/Final time / epsilon an integer (with Time units = section 6: t_6 = 2 xi T "
                      "over epsilon). Its initial neurons and samples are those of SGD with the same seed "
                      "and epsilon (symmetrised initialisation, batch size 1).");
    prm.declare_entry("Tangent model seeds", "4", Integer(2, 10000),
                      "Independent tangent-model runs (seeds 1, 2, ...); their spread gives the Monte Carlo band.");
    prm.declare_entry("Test sample size", "4000", Integer(2),
                      "Size of each tangent model's fixed test sample for its Monte Carlo risk.");
    prm.declare_entry("Time units", "mfdd", Selection("mfdd|section 6"),
                      "Unit of the times written: mfdd (the (DD) time t for every alpha; the kernel limit "
                      "is u*_t = exp(-2 H int_0^t xi) u_0) or section 6 (doc/theory.md §6's time "
                      "t_6 = 2 int_0^t xi, with u*_{t_6} = exp(-H t_6) u_0). 'section 6' needs a constant xi.");
    prm.leave_subsection();
  }

  void
  check_kernel_limit_problem(const model::Problem &problem)
  {
    require(problem.data.blocks().size() == 1, "Problem/Data model",
            "the kernel limit is implemented for isotropic data; set it to isotropic");
    require(problem.trainable_second_layer, "Problem/Second layer",
            "the kernel limit is implemented for a trainable second layer (reduced coordinates (a, r)); "
            "set it to trainable");
    require(problem.kernel == model::KernelKind::exact, "Problem/Kernel",
            "the kernel limit (its operator and its alpha-scaled PDE) is implemented with the exact "
            "finite-d kernel only; set it to exact");
    require(problem.temperature == 0., "Problem/Temperature tau", "must be 0: the kernel limit is noiseless");
    require(problem.weight_decay == 0., "Problem/Weight decay lambda",
            "must be 0: the kernel limit has no weight decay");
    const auto  &law  = problem.initial_law;
    const double mean = law.amplitude_mean();
    std::ostringstream value;
    value << mean;
    require(std::abs(mean) <= 1e-12 * std::max(std::abs(law.a_lower), std::abs(law.a_upper)),
            "Problem/Initial a law",
            "E[a] = " + value.str() +
              " != 0: the initial predictor alpha E[a] E[sigma(<w,x>)] grows like alpha, so the kernel "
              "limit does not exist at this scaling; use a law of a symmetric around 0 "
              "(Initial a upper = -Initial a lower)");
  }

  void
  KernelLimitParameters::parse_parameters(dealii::ParameterHandler &prm, const model::Problem &problem)
  {
    prm.enter_subsection("Kernel limit");
    alphas                          = io::parse_double_list(prm.get("Alphas"), "Kernel limit/Alphas");
    discretisation.radial_intervals = prm.get_integer("Radial intervals");
    discretisation.radial_points    = prm.get_integer("Radial points per interval");
    discretisation.angular_points   = prm.get_integer("Angular points");
    run_pde                         = prm.get_bool("Run PDE");
    run_sgd                         = prm.get_bool("Run SGD");
    pde_error_estimate              = prm.get_bool("PDE error estimate");
    plots                           = prm.get_bool("Plots");
    sgd_seeds                       = prm.get_integer("SGD seeds");
    run_tangent_model               = prm.get_bool("Run tangent model");
    tangent_neurons                 = prm.get_integer("Tangent model neurons");
    tangent_epsilon                 = prm.get_double("Tangent model epsilon");
    tangent_seeds                   = prm.get_integer("Tangent model seeds");
    test_sample_size                = prm.get_integer("Test sample size");
    time_units = prm.get("Time units") == "mfdd" ? TimeUnits::mfdd : TimeUnits::section6;
    prm.leave_subsection();

    for (const double alpha : alphas)
      require(alpha > 0. && std::isfinite(alpha), "Kernel limit/Alphas",
              "every alpha must be positive, got " + std::to_string(alpha));
    require(tangent_neurons % 2 == 0, "Kernel limit/Tangent model neurons",
            "must be even (neurons come in pairs (a, w), (-a, w))");
    require(tangent_epsilon > 0., "Kernel limit/Tangent model epsilon", "must be positive");
    check_kernel_limit_problem(problem);
    if (time_units == TimeUnits::section6)
      for (unsigned int i = 1; i <= 100; ++i)
        require(problem.xi(problem.final_time * i / 100.) == problem.xi(0.), "Kernel limit/Time units",
                "'section 6' needs a constant Problem/Step size schedule xi (§6 has no schedule); use mfdd");
  }

  void
  KernelLimitParameters::check_tangent_model(const model::Problem &run_problem) const
  {
    if (!run_tangent_model)
      return;
    // The tangent model takes its samples from a particles::SgdSimulator, whose
    // own check would name the SGD section.
    const double steps = run_problem.final_time / tangent_epsilon;
    std::ostringstream value;
    value << steps;
    require(std::abs(steps - std::round(steps)) <= 1e-9 * std::max(1., steps) && std::round(steps) >= 1.,
            "Kernel limit/Tangent model epsilon",
            "final time / epsilon = " + value.str() +
              " is not a positive integer (the final time is Problem/Final time T, or t_6 = 2 xi T with "
              "Time units = section 6); choose an epsilon that divides it");
    require(steps < 1e15, "Kernel limit/Tangent model epsilon",
            "is too small for the final time (more than 1e15 steps)");
  }
} // namespace mfdd::ntk
