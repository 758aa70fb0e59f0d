#include <mfdd/io/expression.h>
#include <mfdd/io/input_error.h>
#include <mfdd/model/problem.h>

#include <deal.II/base/point.h>

#include <cmath>
#include <sstream>

namespace mfdd::model
{
  using dealii::Patterns::Bool;
  using dealii::Patterns::Double;
  using dealii::Patterns::Integer;
  using dealii::Patterns::Selection;
  using io::require;

  void
  Problem::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Problem");
    prm.declare_entry("Data model", "isotropic", Selection("isotropic|anisotropic"),
                      "isotropic: y = +-1 with probability 1/2, x | y ~ N(0, (1 +- Delta)^2 I_d). "
                      "anisotropic: x | y ~ N(0, diag((1 +- Delta)^2 I_s0, (1 +- Delta2)^2 I_{d-s0})) "
                      "with Delta2 the 'Second block Delta' (0: identity covariance).");
    prm.declare_entry("Dimension d", "40", Integer(1), "Dimension d of the input x (at least 1).");
    prm.declare_entry("Delta", "0.5", Double(0., 1.),
                      "Delta in (0, 1): the class standard deviations of the first block are 1 +- Delta.");
    prm.declare_entry("Signal block size s0", "10", Integer(1),
                      "Anisotropic data only: size s0 of the first block, 1 <= s0 <= d - 1.");
    prm.declare_entry("Second block Delta", "0", Double(0., 1.),
                      "Anisotropic data only: the class standard deviations of the second block are "
                      "1 +- this value, in [0, 1). Setting it equal to Delta gives isotropic data "
                      "in the two-block setting.");
    prm.declare_entry("Activation", "truncated relu", Selection("truncated relu|relu|tanh"),
                      "Activation sigma: truncated relu (parameters in the subsection), relu, or tanh.");
    prm.enter_subsection("Truncated ReLU");
    prm.declare_entry("s1", "-2.5", Double(), "Value of sigma for t <= t1.");
    prm.declare_entry("s2", "7.5", Double(), "Value of sigma for t >= t2.");
    prm.declare_entry("t1", "0.5", Double(), "Start of the linear part; t1 < t2.");
    prm.declare_entry("t2", "1.5", Double(), "End of the linear part; t2 > t1.");
    prm.leave_subsection();
    prm.declare_entry("Second layer", "fixed", Selection("fixed|trainable"),
                      "fixed: sigma_*(x; w) = sigma(<w, x>), D = d. trainable: sigma_*(x; a, w) = "
                      "a sigma(<w, x>), D = d + 1.");
    prm.declare_entry("Initial kappa", "0.8", Double(0.),
                      "Initial weights w ~ N(0, (kappa^2/d) I_d), so |w| ~ kappa chi_d / sqrt(d). kappa > 0.");
    prm.declare_entry("Initial a law", "uniform", Selection("uniform|bump|constant"),
                      "Trainable second layer only: law of a at initialisation, independent of w, on "
                      "[Initial a lower, Initial a upper]: uniform, bump (density proportional to "
                      "(1 - x^2)^2 after mapping the interval to [-1, 1]), or constant (a = Initial a "
                      "lower = Initial a upper; no density, so SGD only).");
    prm.declare_entry("Initial a lower", "-1", Double(), "Lower end of the initial law of a.");
    prm.declare_entry("Initial a upper", "1", Double(), "Upper end of the initial law of a.");
    prm.declare_entry("Kernel", "exact", Selection("exact|large d"),
                      "Population kernel u-bar: exact (finite-d angular average over the law of the "
                      "cosine between two uniform directions) or large d (cosine set to 0; an O(1/d) "
                      "approximation that needs only two moments).");
    prm.declare_entry("Step size schedule xi", "1", dealii::Patterns::Anything(),
                      "xi(t), a muparser expression in t (e.g. 1/(1+t)); SGD step k uses "
                      "s_k = epsilon xi(k epsilon). Must be finite and non-negative on [0, T].");
    prm.declare_entry("Final time", "2", Double(0.), "Final time T > 0 (PDE time; SGD runs T/epsilon steps).");
    prm.declare_entry("Temperature tau", "0", Double(0.),
                      "Noise temperature tau >= 0 of noisy SGD (doc/theory.md §2); 0 is noiseless.");
    prm.declare_entry("Weight decay lambda", "0", Double(0.), "Weight decay lambda >= 0 of noisy SGD.");
    prm.declare_entry("Scaling alpha", "1", Double(0.),
                      "Output scaling alpha > 0 of doc/theory.md §6: f = (alpha/N) sum sigma_*. "
                      "1 is the plain mean-field model.");
    prm.leave_subsection();
  }

  void
  Problem::parse_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Problem");
    d                      = prm.get_integer("Dimension d");
    const double delta     = prm.get_double("Delta");
    const bool   isotropic = prm.get("Data model") == "isotropic";
    const int    s0        = prm.get_integer("Signal block size s0");
    const double delta2    = prm.get_double("Second block Delta");

    const std::string activation_name = prm.get("Activation");
    prm.enter_subsection("Truncated ReLU");
    const double s1 = prm.get_double("s1"), s2 = prm.get_double("s2");
    const double t1 = prm.get_double("t1"), t2 = prm.get_double("t2");
    prm.leave_subsection();

    trainable_second_layer = prm.get("Second layer") == "trainable";
    initial_law.kappa      = prm.get_double("Initial kappa");
    const std::string a_law = prm.get("Initial a law");
    initial_law.a_law = a_law == "uniform" ? InitialLaw::AmplitudeLaw::uniform :
                        a_law == "bump"    ? InitialLaw::AmplitudeLaw::bump :
                                             InitialLaw::AmplitudeLaw::constant;
    initial_law.a_lower = prm.get_double("Initial a lower");
    initial_law.a_upper = prm.get_double("Initial a upper");
    kernel        = prm.get("Kernel") == "exact" ? KernelKind::exact : KernelKind::large_d;
    xi_expression = prm.get("Step size schedule xi");
    final_time    = prm.get_double("Final time");
    temperature   = prm.get_double("Temperature tau");
    weight_decay  = prm.get_double("Weight decay lambda");
    alpha         = prm.get_double("Scaling alpha");
    prm.leave_subsection();

    require(delta > 0. && delta < 1., "Problem/Delta", "must lie in (0, 1), got " + std::to_string(delta));
    require(delta2 < 1., "Problem/Second block Delta", "must lie in [0, 1)");
    require(initial_law.kappa > 0., "Problem/Initial kappa", "must be positive");
    require(final_time > 0., "Problem/Final time", "must be positive");
    require(alpha > 0., "Problem/Scaling alpha", "must be positive");
    if (activation_name == "truncated relu")
      {
        require(t1 < t2, "Problem/Truncated ReLU/t1", "must be smaller than t2 (got t1 = " +
                                                        std::to_string(t1) + ", t2 = " + std::to_string(t2) + ")");
        activation = std::make_shared<TruncatedReLU>(s1, s2, t1, t2);
      }
    else if (activation_name == "relu")
      activation = std::make_shared<ReLU>();
    else
      activation = std::make_shared<Tanh>();

    if (trainable_second_layer)
      {
        const bool constant = initial_law.a_law == InitialLaw::AmplitudeLaw::constant;
        require(constant ? initial_law.a_lower == initial_law.a_upper : initial_law.a_lower < initial_law.a_upper,
                "Problem/Initial a lower",
                constant ? "must equal Initial a upper for the constant law" :
                           "must be smaller than Initial a upper");
      }
    else
      initial_law.a_lower = initial_law.a_upper = 1.;

    ReducedSettingKind kind;
    if (isotropic)
      {
        data = DataModel({InputBlock{d, 1. + delta, 1. - delta}});
        kind = trainable_second_layer ? ReducedSettingKind::amplitude_radius : ReducedSettingKind::radius;
      }
    else
      {
        require(d >= 2, "Problem/Dimension d", "anisotropic data needs d >= 2");
        require(s0 >= 1 && s0 <= int(d) - 1, "Problem/Signal block size s0",
                "must lie in [1, d - 1] = [1, " + std::to_string(d - 1) + "], got " + std::to_string(s0));
        data = DataModel({InputBlock{unsigned(s0), 1. + delta, 1. - delta},
                          InputBlock{d - unsigned(s0), 1. + delta2, 1. - delta2}});
        kind = trainable_second_layer ? ReducedSettingKind::amplitude_two_radii : ReducedSettingKind::two_radii;
      }
    setting = std::make_shared<ReducedSetting>(kind, data, initial_law);

    xi_function = io::parse_expression<1>("t", xi_expression, "Problem/Step size schedule xi");
    for (unsigned int i = 0; i <= 100; ++i)
      {
        const double t = final_time * i / 100., value = xi(t);
        require(std::isfinite(value) && value >= 0., "Problem/Step size schedule xi",
                "xi(" + std::to_string(t) + ") = " + std::to_string(value) +
                  "; xi must be finite and non-negative on [0, T]");
      }
  }

  double
  Problem::xi(double t) const
  {
    return xi_function->value(dealii::Point<1>(t));
  }

  std::string
  Problem::summary() const
  {
    std::ostringstream out;
    const auto        &blocks = data.blocks();
    out << "data: " << (blocks.size() == 1 ? "isotropic" : "anisotropic") << ", d = " << d;
    for (const auto &b : blocks)
      out << ", block of " << b.size << " with std " << b.std_plus << " (y=+1) / " << b.std_minus << " (y=-1)";
    out << "\nnetwork: activation " << activation->name() << ", second layer "
        << (trainable_second_layer ? "trainable" : "fixed") << ", D = " << neuron_dimension()
        << ", alpha = " << alpha << "\ninitial law: kappa = " << initial_law.kappa;
    if (trainable_second_layer)
      out << ", a in [" << initial_law.a_lower << ", " << initial_law.a_upper << "]";
    out << "\nreduced coordinates: (";
    const auto names = setting->coordinate_names();
    for (unsigned int i = 0; i < names.size(); ++i)
      out << (i ? ", " : "") << names[i];
    out << "), kernel " << (kernel == KernelKind::exact ? "exact finite-d" : "large-d")
        << "\ndynamics: xi(t) = " << xi_expression << ", T = " << final_time
        << ", tau = " << temperature << ", lambda = " << weight_decay;
    return out.str();
  }
} // namespace mfdd::model
