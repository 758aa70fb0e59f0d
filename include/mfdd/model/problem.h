#pragma once

#include <mfdd/model/activation.h>
#include <mfdd/model/data_model.h>
#include <mfdd/model/reduced_setting.h>

#include <deal.II/base/function_parser.h>
#include <deal.II/base/parameter_handler.h>

#include <memory>
#include <string>

namespace mfdd::model
{
  enum class KernelKind
  {
    exact,  ///< exact finite-d angular average over mu_d
    large_d ///< c -> 0 limit (O(1/d) bias)
  };

  /**
   * The `Problem` section: everything that defines the mathematical problem,
   * shared by every command (`pde`, `sgd`, `compare`, `study`, `kernel`), so
   * that they all read the same file.
   */
  class Problem
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// Reads and checks the section; InputError naming the parameter if a value is impossible.
    void
    parse_parameters(dealii::ParameterHandler &prm);

    /// Dimension d of the input x.
    unsigned int d = 40;
    /// D = d (fixed a) or d + 1 (trainable a): dimension of a neuron.
    unsigned int
    neuron_dimension() const
    {
      return d + (trainable_second_layer ? 1 : 0);
    }
    bool                        trainable_second_layer = false;
    DataModel                   data;
    std::shared_ptr<Activation> activation;
    InitialLaw                  initial_law;
    KernelKind                  kernel = KernelKind::exact;
    double                      final_time = 2.;
    double                      temperature = 0.;  ///< tau of noisy SGD
    double                      weight_decay = 0.; ///< lambda of noisy SGD
    double                      alpha = 1.;        ///< output scaling of doc/theory.md §6
    std::string                 xi_expression = "1";

    /// Step-size schedule xi(t).
    double
    xi(double t) const;

    const ReducedSetting &
    reduced_setting() const
    {
      return *setting;
    }

    /// One line per property, for run logs.
    std::string
    summary() const;

  private:
    std::shared_ptr<dealii::FunctionParser<1>> xi_function;
    std::shared_ptr<ReducedSetting>            setting;
  };
} // namespace mfdd::model
