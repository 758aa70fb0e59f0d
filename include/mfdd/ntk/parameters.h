#pragma once

#include <mfdd/model/problem.h>
#include <mfdd/ntk/kernel_limit.h>

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace mfdd::ntk
{
  /**
   * The `Kernel limit` section of `mfdd kernel`: the list of alpha, the
   * quadrature of the kernel operator, the tangent model, how many SGD seeds,
   * and the unit in which times are written.
   */
  struct KernelLimitParameters
  {
    enum class TimeUnits
    {
      mfdd,     ///< (DD) time t for every alpha
      section6  ///< doc/theory.md §6's time t_6 = 2 int_0^t xi
    };

    std::vector<double>        alphas = {4., 8., 16., 32.};
    KernelLimitDiscretisation discretisation;
    bool                       run_pde           = true;
    bool                       run_sgd           = true;
    unsigned int               sgd_seeds         = 4;
    bool                       run_tangent_model = true;
    unsigned int               tangent_neurons   = 2000;
    double                     tangent_epsilon   = 1e-4;
    unsigned int               tangent_seeds     = 4;
    unsigned int               test_sample_size  = 4000;
    TimeUnits                  time_units        = TimeUnits::mfdd;
    /// Estimate the PDE's own error by a second, finer solve per alpha.
    bool                       pde_error_estimate = true;
    bool                       plots              = true;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// Reads the section and checks it against @p problem: InputError (one line
    /// naming the parameter) for a setting without a kernel limit at this
    /// scaling, alpha <= 0, or an impossible value.
    void
    parse_parameters(dealii::ParameterHandler &prm, const model::Problem &problem);

    /// Checks the tangent model against the problem it runs (@p run_problem:
    /// in section-6 units its final time is t_6): Final time / Tangent model
    /// epsilon must be a positive integer; InputError naming
    /// `Kernel limit/Tangent model epsilon` otherwise. Nothing if the tangent model is off.
    void
    check_tangent_model(const model::Problem &run_problem) const;
  };

  /// The checks on the problem that the kernel limit needs (isotropic data,
  /// trainable a, the exact kernel, no noise or weight decay, E[a] = 0); InputError otherwise.
  void
  check_kernel_limit_problem(const model::Problem &problem);
} // namespace mfdd::ntk
