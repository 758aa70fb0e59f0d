// app/ is the `mfdd` program: the command line, the table of commands and the
// declaration of every parameter section. It wires the areas together and
// holds no mathematics.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/particles/sgd.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace mfdd::app
{
  /// What every command receives: the parsed file and the two shared sections.
  struct RunContext
  {
    dealii::ParameterHandler &prm;
    std::string               parameter_file;
    model::Problem            problem;
    io::OutputParameters      output;
    double                    maximum_hours = 24.; ///< Run/Maximum estimated hours

    /// Declares the Run section (limits that protect a user from a typo).
    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// Reads Problem, Output and Run.
    void
    parse_parameters();

    /// Prints the estimated wall time of @p core_seconds spread over the ranks
    /// and throws io::InputError, naming @p cause (the parameters that set the
    /// cost), if it exceeds Run/Maximum estimated hours.
    void
    check_cost(double core_seconds, const std::string &what, const std::string &cause) const;
    /// check_cost() for @p runs SGD runs of @p problem with @p sgd.
    void
    check_sgd_cost(const model::Problem &problem, const particles::SgdParameters &sgd, unsigned int runs) const;

    /// Creates the output folder and writes the full parameter set used into
    /// it as `parameters.prm`. Call after the command has parsed (and so
    /// checked) its own sections, so that bad input writes nothing.
    void
    start_output() const;

    /// The PDE section for reduced dimension @p dim; a relative mesh file is
    /// taken relative to the parameter file's folder, as `meshes/` is to `params/`.
    pde::SolverParameters
    pde_parameters(unsigned int dim) const;
  };

  struct Command
  {
    std::string name;
    std::string summary;
    int (*run)(RunContext &context);
  };

  /// Every command of `mfdd`, in the order `mfdd --help` lists them.
  const std::vector<Command> &
  commands();

  /// Declares every section (Problem, Output and each command's own), so that
  /// every command reads the same parameter files.
  void
  declare_all_parameters(dealii::ParameterHandler &prm);

  int
  run_info(RunContext &context);
  int
  run_sgd(RunContext &context);
  int
  run_compare(RunContext &context);
  int
  run_study(RunContext &context);
  int
  run_pde(RunContext &context);
  int
  run_kernel(RunContext &context);
  int
  run_gibbs(RunContext &context);
} // namespace mfdd::app
