// Self-convergence on the isotropic 1D running example:
// truncated ReLU, Delta = 0.5, d = 40 (exact kernel), kappa = 0.8, T = 2.
// The risk at T on 4 meshes (CFL-tied time steps): observed orders from
// successive differences must be >= 1.8, and the default resolution of
// params/pde_radius.prm must be within 1e-5 of the Richardson-extrapolated
// risk. The same in dt (CFL 0.2 to 0.025 on the default mesh): orders >= 1.8.
#include <mfdd/io/parameter_file.h>
#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/convergence_table.h>

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

using namespace mfdd;

namespace
{
  struct Example
  {
    model::Problem        problem;
    pde::SolverParameters parameters;
  };

  Example
  running_example()
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    io::OutputParameters::declare_parameters(prm);
    pde::SolverParameters::declare_parameters(prm);
    io::read_parameter_file(prm, std::string(MFDD_SOURCE_DIR) + "/params/pde_radius.prm", {});
    Example example;
    example.problem.parse_parameters(prm);
    example.parameters.parse_parameters(prm, 1);
    return example;
  }

  double
  final_risk(const Example &example, const pde::SolverParameters &parameters, const kernels::PopulationKernels &kernels)
  {
    auto             potential = std::make_shared<pde::NonlocalPotential<1>>(kernels, parameters.potential_nodes);
    pde::Solver<1>   solver(example.problem, parameters, potential, MPI_COMM_SELF);
    solver.make_mesh();
    solver.set_initial_density();
    solver.advance(example.problem.final_time);
    return solver.risk();
  }

  /// Orders from three successive values with refinement factor 2.
  std::vector<double>
  observed_orders(const std::vector<double> &values)
  {
    std::vector<double> orders;
    for (unsigned int i = 0; i + 2 < values.size(); ++i)
      orders.push_back(std::log2(std::abs(values[i] - values[i + 1]) / std::abs(values[i + 1] - values[i + 2])));
    return orders;
  }
} // namespace

TEST(PdeConvergence, RunningExampleInSpaceAndTime)
{
  const Example                    example = running_example();
  const kernels::PopulationKernels kernels(example.problem);

  // In h (dt follows the CFL number).
  std::vector<double>      risks;
  dealii::ConvergenceTable table;
  for (const unsigned int n : {30u, 60u, 120u, 240u})
    {
      auto parameters         = example.parameters;
      parameters.subdivisions = {n};
      risks.push_back(final_risk(example, parameters, kernels));
      table.add_value("cells", n);
      table.add_value("R(T)", risks.back());
    }
  table.set_precision("R(T)", 14);
  table.write_text(std::cout);
  const auto   orders = observed_orders(risks);
  const double p      = orders.back();
  const double extrapolated = risks.back() + (risks.back() - risks[risks.size() - 2]) / (std::pow(2., p) - 1.);
  std::cout << "observed orders in h:";
  for (const double o : orders)
    std::cout << ' ' << o;
  std::cout << "\nextrapolated R(T) = " << std::setprecision(14) << extrapolated << std::endl;
  for (const double o : orders)
    EXPECT_GE(o, 1.8);

  const double default_risk = final_risk(example, example.parameters, kernels);
  std::cout << "default resolution (" << example.parameters.subdivisions[0] << " cells): R(T) = " << default_risk
            << ", distance to extrapolation " << std::abs(default_risk - extrapolated) << std::endl;
  EXPECT_LT(std::abs(default_risk - extrapolated), 1e-5);

  // In dt on the default mesh (CFL-tied steps): SSP-RK3's error dominates the
  // change of R(T) here (measured orders ~3; the limiter's dt-dependence sits
  // below 1e-10).
  std::vector<double> dt_risks;
  for (const double cfl : {0.2, 0.1, 0.05, 0.025})
    {
      auto parameters = example.parameters;
      parameters.cfl  = cfl;
      dt_risks.push_back(final_risk(example, parameters, kernels));
      std::cout << "CFL " << cfl << ": R(T) = " << std::setprecision(14) << dt_risks.back() << std::endl;
    }
  std::cout << "observed orders in dt:";
  for (const double o : observed_orders(dt_risks))
    {
      std::cout << ' ' << o;
      EXPECT_GE(o, 1.8);
    }
  std::cout << std::endl;
}
