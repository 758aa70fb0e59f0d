// Order of convergence of the DG transport solver against exact solutions
// (issue 3, item 2): prescribed potentials with known flows.
//  - linear psi = -b.z/2: velocity b, pure translation of the initial bump;
//  - quadratic psi = sum_k (gamma_k/2)(z_k - c_k)^2: velocity -2 gamma_k (z_k - c_k),
//    a Gaussian stays Gaussian with mean c + (m0 - c) e^{-2 gamma t} and
//    standard deviation s0 e^{-2 gamma t} per coordinate.
// L1 and W1 errors on 4 meshes, degree 1; fitted order must be >= 1.8.
#include <mfdd/pde/solver.h>

#include <deal.II/base/convergence_table.h>
#include <deal.II/base/function_lib.h>

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

using namespace mfdd;
using dealii::Point;

namespace
{
  model::Problem
  make_problem(unsigned int dim, double final_time)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    prm.enter_subsection("Problem");
    prm.set("Second layer", dim == 2 ? "trainable" : "fixed");
    prm.set("Final time", final_time);
    prm.leave_subsection();
    model::Problem problem;
    problem.parse_parameters(prm);
    return problem;
  }

  /// A product of Gaussians N(mean_k, std_k^2), together with its marginal CDFs.
  template <int dim>
  class Gaussian : public dealii::Function<dim>
  {
  public:
    Gaussian(std::array<double, dim> mean, std::array<double, dim> std)
      : mean(mean)
      , std(std)
    {}
    double
    value(const Point<dim> &z, unsigned int = 0) const override
    {
      double v = 1.;
      for (unsigned int k = 0; k < dim; ++k)
        {
          const double x = (z[k] - mean[k]) / std[k];
          v *= std::exp(-0.5 * x * x) / (std::sqrt(2. * M_PI) * std[k]);
        }
      return v;
    }
    double
    cdf(unsigned int k, double x) const
    {
      return 0.5 * std::erfc(-(x - mean[k]) / (std::sqrt(2.) * std[k]));
    }
    std::array<double, dim> mean, std;
  };

  /// The potential psi = sum_k (gamma_k/2)(z_k - c_k)^2 + beta.z
  template <int dim>
  class QuadraticPotential : public dealii::Function<dim>
  {
  public:
    QuadraticPotential(std::array<double, dim> gamma, std::array<double, dim> centre, std::array<double, dim> beta)
      : gamma(gamma)
      , centre(centre)
      , beta(beta)
    {}
    double
    value(const Point<dim> &z, unsigned int = 0) const override
    {
      double v = 0.;
      for (unsigned int k = 0; k < dim; ++k)
        v += 0.5 * gamma[k] * (z[k] - centre[k]) * (z[k] - centre[k]) + beta[k] * z[k];
      return v;
    }
    dealii::Tensor<1, dim>
    gradient(const Point<dim> &z, unsigned int = 0) const override
    {
      dealii::Tensor<1, dim> g;
      for (unsigned int k = 0; k < dim; ++k)
        g[k] = gamma[k] * (z[k] - centre[k]) + beta[k];
      return g;
    }
    std::array<double, dim> gamma, centre, beta;
  };

  /// W1 of each marginal from the sampled density (midpoint rule, 1D CDFs).
  template <int dim>
  double
  marginal_w1(const model::GridDensity &grid, const Gaussian<dim> &exact)
  {
    double worst = 0.;
    for (unsigned int k = 0; k < dim; ++k)
      {
        const unsigned int  n = grid.n[k];
        const double        h = (grid.upper[k] - grid.lower[k]) / n;
        std::vector<double> marginal(n, 0.);
        double              cell_area = 1.;
        for (unsigned int j = 0; j < dim; ++j)
          cell_area *= (grid.upper[j] - grid.lower[j]) / grid.n[j];
        for (unsigned int index = 0; index < grid.values.size(); ++index)
          {
            const unsigned int i = k == 0 ? index % grid.n[0] : index / grid.n[0];
            marginal[i] += grid.values[index] * cell_area;
          }
        double cdf = 0., w1 = 0.;
        for (unsigned int i = 0; i < n; ++i)
          {
            cdf += marginal[i];
            w1 += std::abs(cdf - exact.cdf(k, grid.lower[k] + (i + 1) * h)) * h;
          }
        worst = std::max(worst, w1);
      }
    return worst;
  }

  struct Errors
  {
    std::vector<double> n_cells, l1, w1;
  };

  /// Least-squares slope of log(error) against log(h), h ~ n_cells^{-1/dim}.
  double
  fitted_order(const std::vector<double> &n_cells, const std::vector<double> &error, unsigned int dim)
  {
    double sx = 0., sy = 0., sxx = 0., sxy = 0.;
    const double n = n_cells.size();
    for (unsigned int i = 0; i < n_cells.size(); ++i)
      {
        const double x = -std::log(n_cells[i]) / dim, y = std::log(error[i]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
  }

  template <int dim>
  Errors
  run_study(const QuadraticPotential<dim> &psi, const Gaussian<dim> &initial,
            const std::function<Gaussian<dim>(double)> &exact_at, double T, double box_upper,
            const std::vector<unsigned int> &subdivisions, const std::string &title)
  {
    const model::Problem problem = make_problem(dim, T);
    dealii::ConvergenceTable table;
    Errors                   errors;
    const Gaussian<dim>      exact = exact_at(T);
    for (const unsigned int n : subdivisions)
      {
        pde::SolverParameters parameters;
        parameters.degree       = 1;
        parameters.cfl          = 0.3;
        parameters.box_lower.assign(dim, 0.);
        parameters.box_upper.assign(dim, box_upper);
        parameters.subdivisions.assign(dim, n);
        parameters.sample_cells.assign(dim, dim == 1 ? 40000 : 800);
        auto potential = std::make_shared<pde::PrescribedPotential<dim>>(
          std::make_shared<QuadraticPotential<dim>>(psi));
        pde::Solver<dim> solver(problem, parameters, potential, MPI_COMM_SELF);
        solver.make_mesh();
        solver.set_initial_density(initial, false); // tails beyond the box < 1e-12
        solver.advance(T);
        EXPECT_NEAR(solver.mass() + solver.mass_out(), 1., 1e-12);
        EXPECT_GE(solver.min_rho(), 0.);
        errors.n_cells.push_back(solver.n_cells());
        errors.l1.push_back(solver.l1_error(exact));
        errors.w1.push_back(marginal_w1(solver.sample(parameters.sample_cells), exact));
        table.add_value("cells", solver.n_cells());
        table.add_value("steps", solver.n_steps());
        table.add_value("L1", errors.l1.back());
        table.add_value("W1", errors.w1.back());
      }
    table.set_scientific("L1", true);
    table.set_scientific("W1", true);
    // Rates with respect to h ~ cells^{-1/dim}: the reference column and the
    // dimension must both be given (the default dimension is 2).
    table.evaluate_convergence_rates("L1", "cells", dealii::ConvergenceTable::reduction_rate_log2, dim);
    table.evaluate_convergence_rates("W1", "cells", dealii::ConvergenceTable::reduction_rate_log2, dim);
    std::cout << title << '\n';
    table.write_text(std::cout);
    return errors;
  }
} // namespace

TEST(PdeExact, Translation1D)
{
  // psi = -z/2: velocity +1; the bump moves from 1.2 to 2.2 by T = 1.
  const Gaussian<1> initial({{1.2}}, {{0.15}});
  const auto        errors = run_study<1>(
    QuadraticPotential<1>({{0.}}, {{0.}}, {{-0.5}}), initial,
    [](double t) { return Gaussian<1>({{1.2 + t}}, {{0.15}}); }, 1., 3.5, {{50, 100, 200, 400}}, "1D translation");
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 1), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 1), 1.8);
  EXPECT_LT(errors.l1.back(), 2e-3);
}

TEST(PdeExact, Quadratic1D)
{
  // gamma = -0.3 around c = 1: an expanding Gaussian.
  const double      gamma = -0.3, c = 1.;
  const Gaussian<1> initial({{1.4}}, {{0.12}});
  const auto        errors = run_study<1>(
    QuadraticPotential<1>({{gamma}}, {{c}}, {{0.}}), initial,
    [=](double t) {
      const double f = std::exp(-2. * gamma * t);
      return Gaussian<1>({{c + (1.4 - c) * f}}, {{0.12 * f}});
    },
    1., 3.5, {50, 100, 200, 400}, "1D quadratic potential");
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 1), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 1), 1.8);
}

TEST(PdeExact, Translation2D)
{
  const Gaussian<2> initial({{1.2, 1.3}}, {{0.15, 0.18}});
  const auto        errors = run_study<2>(
    QuadraticPotential<2>({{0., 0.}}, {{0., 0.}}, {{-0.5, -0.25}}), initial,
    [](double t) { return Gaussian<2>({{1.2 + t, 1.3 + 0.5 * t}}, {{0.15, 0.18}}); }, 0.8, 3., {{12, 24, 48, 96}},
    "2D translation");
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 2), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 2), 1.8);
}

TEST(PdeExact, Quadratic2D)
{
  // Contraction in the first coordinate, expansion in the second.
  const std::array<double, 2> gamma = {{0.25, -0.2}}, c = {{1.5, 1.2}}, m0 = {{1.2, 1.5}}, s0 = {{0.15, 0.15}};
  const Gaussian<2>           initial(m0, s0);
  const auto                  errors = run_study<2>(
    QuadraticPotential<2>(gamma, c, {{0., 0.}}), initial,
    [=](double t) {
      std::array<double, 2> mean, std;
      for (unsigned int k = 0; k < 2; ++k)
        {
          const double f = std::exp(-2. * gamma[k] * t);
          mean[k]        = c[k] + (m0[k] - c[k]) * f;
          std[k]         = s0[k] * f;
        }
      return Gaussian<2>(mean, std);
    },
    0.8, 3., {12, 24, 48, 96}, "2D quadratic potential");
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 2), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 2), 1.8);
}
