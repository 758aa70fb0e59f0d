// The free energy of the noisy dynamics (doc/theory.md §8) and reflecting box
// sides: F(rho_0) against an independent quadrature of the initial law; F does
// not increase along noisy runs with constant xi in 1D (r) and 2D (a, r); with
// reflecting sides no mass leaves the box.
#include "make_problem.h"

#include <mfdd/kernels/population_kernels.h>
#include <mfdd/pde/solver.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

using namespace mfdd;

namespace
{
  template <int dim>
  struct NoisyRun
  {
    model::Problem                               problem;
    kernels::PopulationKernels                   kernels;
    std::shared_ptr<pde::NonlocalPotential<dim>> potential;
    pde::Solver<dim>                             solver;

    NoisyRun(const model::Problem &p, const pde::SolverParameters &parameters)
      : problem(p)
      , kernels(problem)
      , potential(std::make_shared<pde::NonlocalPotential<dim>>(kernels, parameters.potential_nodes, MPI_COMM_WORLD))
      , solver(problem, parameters, potential, MPI_COMM_WORLD)
    {
      solver.make_mesh();
      solver.set_initial_density();
    }

    /// F at times 0, dt, 2 dt, ..., T; checks mass and the closed sides on the way.
    std::vector<double>
    free_energies(double T, double interval)
    {
      std::vector<double> F = {solver.free_energy(solver.risk())};
      for (double t = interval; t <= T + 1e-12; t += interval)
        {
          solver.advance(t);
          F.push_back(solver.free_energy(solver.risk()));
          EXPECT_EQ(solver.mass_out(), 0.);
          EXPECT_NEAR(solver.mass(), 1., 1e-11);
        }
      return F;
    }
  };

  void
  expect_non_increasing(const std::vector<double> &F)
  {
    for (unsigned int i = 1; i < F.size(); ++i)
      EXPECT_LE(F[i], F[i - 1] + 1e-12 * std::abs(F[i - 1])) << "output " << i;
    EXPECT_LT(F.back(), F.front());
  }
} // namespace

TEST(FreeEnergy, InitialLawAgainstIndependentQuadrature1D)
{
  // d = 20, tau = 1, lambda = 0.5: F(rho_0) = R/2 + lambda/2 int r^2 rho + tau/(2D) int rho log(rho / r^(d-1)).
  const auto problem = test_support::make_problem(
    {{"Dimension d", "20"}, {"Temperature tau", "1"}, {"Weight decay lambda", "0.5"}});
  pde::SolverParameters parameters;
  NoisyRun<1>           run(problem, parameters);
  const double          R = run.solver.risk();

  const auto  &setting = problem.reduced_setting();
  const auto [lower, upper] = setting.initial_support(1e-16);
  const auto rho = [&](double r) { return setting.initial_density(&r); };
  const auto integrand = [&](double r) {
    const double value = rho(r);
    if (!(value > 0.))
      return 0.5 * 0.5 * r * r * value;
    return 0.5 * 0.5 * r * r * value + 1. / (2. * 20.) * value * (std::log(value) - 19. * std::log(r));
  };
  const double reference = 0.5 * R + boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
                                       integrand, std::max(lower[0], 1e-12), upper[0], 15, 1e-14);
  const double F = run.solver.free_energy(R);
  std::cout << "F(rho_0) = " << std::setprecision(12) << F << ", reference " << reference << std::endl;
  EXPECT_NEAR(F, reference, 1e-7);

  // Without noise F is R/2 + lambda/2 int |z|^2 rho: the confinement term against integrate().
  const auto quiet = test_support::make_problem({{"Dimension d", "20"}, {"Weight decay lambda", "0.5"}});
  NoisyRun<1> quiet_run(quiet, parameters);
  const dealii::ScalarFunctionFromFunctionObject<1> square([](const dealii::Point<1> &z) { return z.norm_square(); });
  const double R0 = quiet_run.solver.risk();
  EXPECT_NEAR(quiet_run.solver.free_energy(R0), 0.5 * R0 + 0.25 * quiet_run.solver.integrate(square), 1e-13);
}

TEST(FreeEnergy, NonIncreasingAlongNoisyRun1D)
{
  const auto problem = test_support::make_problem(
    {{"Dimension d", "20"}, {"Temperature tau", "1"}, {"Weight decay lambda", "0.5"}});
  pde::SolverParameters parameters;
  parameters.subdivisions = {100};
  NoisyRun<1> run(problem, parameters);
  EXPECT_TRUE(run.solver.reflecting_box_sides());
  const auto F = run.free_energies(1.5, 0.1);
  std::cout << "1D: F from " << F.front() << " to " << F.back() << std::endl;
  expect_non_increasing(F);
}

TEST(FreeEnergy, NonIncreasingAlongNoisyRun2D)
{
  const auto problem = test_support::make_problem({{"Dimension d", "10"},
                                                   {"Second layer", "trainable"},
                                                   {"Temperature tau", "0.5"},
                                                   {"Weight decay lambda", "0.5"}});
  pde::SolverParameters parameters;
  parameters.subdivisions    = {20, 20};
  parameters.potential_nodes = 32;
  NoisyRun<2> run(problem, parameters);
  const auto  F = run.free_energies(0.4, 0.05);
  std::cout << "2D: F from " << F.front() << " to " << F.back() << std::endl;
  expect_non_increasing(F);
}

TEST(FreeEnergy, BoxSidesParameter)
{
  // Noise without weight decay: the automatic choice keeps the absorbing sides.
  const auto problem = test_support::make_problem({{"Dimension d", "20"}, {"Temperature tau", "1"}});
  pde::SolverParameters parameters;
  parameters.subdivisions = {50};
  EXPECT_FALSE(NoisyRun<1>(problem, parameters).solver.reflecting_box_sides());
  parameters.box_sides = "reflecting";
  EXPECT_TRUE(NoisyRun<1>(problem, parameters).solver.reflecting_box_sides());
}
