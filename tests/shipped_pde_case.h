// A shipped parameter file (params/) read into the sections a PDE solve
// needs, with some settings changed: the tests that run the PDE on the
// shipped examples start here.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/io/parameter_file.h>
#include <mfdd/model/problem.h>
#include <mfdd/pde/parameters.h>

#include <string>
#include <vector>

namespace mfdd::tests
{
  struct ShippedPdeCase
  {
    model::Problem        problem;
    io::OutputParameters  output;
    pde::SolverParameters parameters;
  };

  /// params/@p file with @p settings ("Section/Key=value"); a relative mesh
  /// file is resolved against params/, as `mfdd` resolves it against the
  /// parameter file's folder.
  inline ShippedPdeCase
  read_shipped_pde_case(const std::string &file, const std::vector<std::string> &settings)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    io::OutputParameters::declare_parameters(prm);
    pde::SolverParameters::declare_parameters(prm);
    io::read_parameter_file(prm, std::string(MFDD_SOURCE_DIR) + "/params/" + file, settings);
    ShippedPdeCase c;
    c.problem.parse_parameters(prm);
    c.output.parse_parameters(prm);
    c.parameters.parse_parameters(prm, c.problem.reduced_setting().dimension());
    if (!c.parameters.mesh_file.empty() && c.parameters.mesh_file.front() != '/')
      c.parameters.mesh_file = std::string(MFDD_SOURCE_DIR) + "/params/" + c.parameters.mesh_file;
    return c;
  }
} // namespace mfdd::tests
