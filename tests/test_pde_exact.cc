// Order of convergence of the DG transport solver against exact solutions:
// prescribed potentials with known flows.
//  - linear psi = -b.z/2: velocity b, pure translation of the initial bump;
//  - quadratic psi = sum_k (gamma_k/2)(z_k - c_k)^2: velocity -2 gamma_k (z_k - c_k),
//    a Gaussian stays Gaussian with mean c + (m0 - c) e^{-2 gamma t} and
//    standard deviation s0 e^{-2 gamma t} per coordinate.
//  - with noise (tau > 0) and the same quadratic psi every coordinate of the
//    neuron is an Ornstein-Uhlenbeck process: a stays Gaussian and a radius of a
//    block of m coordinates stays s(t) chi_m, its variance per coordinate
//    relaxing to nu/(2 gamma) at rate 4 gamma (nu = tau / D).
// L1 and W1 errors on 4 meshes, degree 1; fitted order must be >= 1.8.
#include <mfdd/pde/solver.h>

#include <boost/math/special_functions/gamma.hpp>

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
  make_problem(unsigned int dim, double final_time, unsigned int d = 40, double tau = 0., unsigned int s0 = 10)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    prm.enter_subsection("Problem");
    prm.set("Second layer", dim >= 2 ? "trainable" : "fixed");
    if (dim == 3)
      {
        prm.set("Data model", "anisotropic");
        prm.set("Signal block size s0", std::to_string(s0));
      }
    prm.set("Final time", final_time);
    prm.set("Dimension d", std::to_string(d));
    prm.set("Temperature tau", tau);
    prm.leave_subsection();
    model::Problem problem;
    problem.parse_parameters(prm);
    return problem;
  }

  /// A product law, together with its marginal CDFs: coordinate k is
  /// N(mean_k, std_k^2) if chi_k = 0, else std_k times a chi law with chi_k
  /// degrees of freedom (the radius of N(0, std_k^2 I_{chi_k})).
  template <int dim>
  class Gaussian : public dealii::Function<dim>
  {
  public:
    Gaussian(std::array<double, dim> mean, std::array<double, dim> std, std::array<unsigned int, dim> chi = {})
      : mean(mean)
      , std(std)
      , chi(chi)
    {}
    double
    value(const Point<dim> &z, unsigned int = 0) const override
    {
      double v = 1.;
      for (unsigned int k = 0; k < dim; ++k)
        {
          if (chi[k] > 0)
            {
              const double x = z[k] / std[k], m = chi[k];
              v *= x <= 0. ? 0. :
                             std::exp((m - 1.) * std::log(x) - 0.5 * x * x - (0.5 * m - 1.) * std::log(2.) -
                                      std::lgamma(0.5 * m)) /
                               std[k];
              continue;
            }
          const double x = (z[k] - mean[k]) / std[k];
          v *= std::exp(-0.5 * x * x) / (std::sqrt(2. * M_PI) * std[k]);
        }
      return v;
    }
    double
    cdf(unsigned int k, double x) const
    {
      if (chi[k] > 0)
        return x <= 0. ? 0. : boost::math::gamma_p(0.5 * chi[k], 0.5 * (x / std[k]) * (x / std[k]));
      return 0.5 * std::erfc(-(x - mean[k]) / (std::sqrt(2.) * std[k]));
    }
    std::array<double, dim>       mean, std;
    std::array<unsigned int, dim> chi;
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
        unsigned int stride = 1; // of coordinate k in the grid's numbering (coordinate 0 fastest)
        for (unsigned int j = 0; j < k; ++j)
          stride *= grid.n[j];
        for (unsigned int index = 0; index < grid.values.size(); ++index)
          marginal[(index / stride) % n] += grid.values[index] * cell_area;
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
            const std::vector<unsigned int> &subdivisions, const std::string &title,
            const model::Problem &problem, const std::string &noise_time_stepping = "explicit",
            const std::string &noise_solver = "direct")
  {
    dealii::ConvergenceTable table;
    Errors                   errors;
    const Gaussian<dim>      exact = exact_at(T);
    for (const unsigned int n : subdivisions)
      {
        pde::SolverParameters parameters;
        parameters.degree       = 1;
        parameters.cfl          = 0.3;
        parameters.noise_time_stepping = noise_time_stepping;
        parameters.noise_solver        = noise_solver;
        parameters.box_lower.assign(dim, 0.);
        parameters.box_upper.assign(dim, box_upper);
        parameters.subdivisions.assign(dim, n);
        parameters.sample_cells.assign(dim, dim == 1 ? 40000 : dim == 2 ? 800 : 160);
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
    [](double t) { return Gaussian<1>({{1.2 + t}}, {{0.15}}); }, 1., 3.5, {{50, 100, 200, 400}}, "1D translation",
    make_problem(1, 1.));
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
    1., 3.5, {50, 100, 200, 400}, "1D quadratic potential", make_problem(1, 1.));
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 1), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 1), 1.8);
}

TEST(PdeExact, Translation2D)
{
  const Gaussian<2> initial({{1.2, 1.3}}, {{0.15, 0.18}});
  const auto        errors = run_study<2>(
    QuadraticPotential<2>({{0., 0.}}, {{0., 0.}}, {{-0.5, -0.25}}), initial,
    [](double t) { return Gaussian<2>({{1.2 + t, 1.3 + 0.5 * t}}, {{0.15, 0.18}}); }, 0.8, 3., {{12, 24, 48, 96}},
    "2D translation", make_problem(2, 0.8));
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
    0.8, 3., {12, 24, 48, 96}, "2D quadratic potential", make_problem(2, 0.8));
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 2), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 2), 1.8);
}

// 3D, (a, r1, r2): the same solver (p4est mesh of hexahedra, MatrixFree
// operator, limiter at the Gauss-Lobatto x Gauss x Gauss points of each direction).
TEST(PdeExact, Translation3D)
{
  const Gaussian<3> initial({{1.1, 1.2, 1.3}}, {{0.18, 0.2, 0.22}});
  const auto        errors = run_study<3>(
    QuadraticPotential<3>({{0., 0., 0.}}, {{0., 0., 0.}}, {{-0.25, -0.2, -0.15}}), initial,
    [](double t) { return Gaussian<3>({{1.1 + 0.5 * t, 1.2 + 0.4 * t, 1.3 + 0.3 * t}}, {{0.18, 0.2, 0.22}}); }, 0.5,
    2.5, {{10, 20, 40}}, "3D translation", make_problem(3, 0.5));
  EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 3), 1.8);
  EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 3), 1.8);
}

namespace
{
  /// Variance per coordinate of an Ornstein-Uhlenbeck process dz = -2 gamma z dt + sqrt(2 nu) dB.
  double
  ou_variance(double v0, double gamma, double nu, double t)
  {
    const double v_infinity = nu / (2. * gamma);
    return v_infinity + (v0 - v_infinity) * std::exp(-4. * gamma * t);
  }

  /// With PDE/Noise time stepping = @p stepping.
  void
  noise_1d_radius(const std::string &stepping)
  {
    // d = 3: r = |w| ~ s chi_3 on a mesh from r = 0, where the drift 2 nu / r
    // and the closed boundary keep the density ~ r^2.
    const unsigned int d = 3;
    const double       tau = 0.15, nu = tau / d, gamma = 0.5, s0 = 0.5;
    const Gaussian<1>  initial({{0.}}, {{s0}}, {{d}});
    const auto         errors = run_study<1>(
      QuadraticPotential<1>({{gamma}}, {{0.}}, {{0.}}), initial,
      [=](double t) { return Gaussian<1>({{0.}}, {{std::sqrt(ou_variance(s0 * s0, gamma, nu, t))}}, {{d}}); }, 1., 3.,
      {25, 50, 100, 200}, "1D radius with noise (chi_3), " + stepping, make_problem(1, 1., d, tau), stepping);
    EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 1), 1.8);
    EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 1), 1.8);
    EXPECT_LT(errors.l1.back(), 4e-4);
  }

  /// With PDE/Noise time stepping = @p stepping.
  void
  noise_2d_amplitude_radius(const std::string &stepping)
  {
    // (a, r), d = 20 (D = 21): a Gaussian relaxing towards c, r ~ s chi_20.
    const unsigned int          d = 20;
    const double                tau = 2.1, nu = tau / (d + 1), s_a = 0.2, s_r = 0.25;
    const std::array<double, 2> gamma = {{0.4, 0.5}}, c = {{1.5, 0.}};
    const double                a0 = 1.3;
    const Gaussian<2>           initial({{a0, 0.}}, {{s_a, s_r}}, {{0, d}});
    const auto                  errors = run_study<2>(
      QuadraticPotential<2>(gamma, c, {{0., 0.}}), initial,
      [=](double t) {
        return Gaussian<2>({{c[0] + (a0 - c[0]) * std::exp(-2. * gamma[0] * t), 0.}},
                           {{std::sqrt(ou_variance(s_a * s_a, gamma[0], nu, t)),
                             std::sqrt(ou_variance(s_r * s_r, gamma[1], nu, t))}},
                           {{0, d}});
      },
      0.25, 3., {8, 16, 32, 64}, "2D (a, r) with noise, " + stepping, make_problem(2, 0.25, d, tau), stepping);
    EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 2), 1.8);
    EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 2), 1.8);
  }

  /// With PDE/Noise time stepping = @p stepping and PDE/Noise solver = @p solver.
  void
  noise_3d_amplitude_two_radii(const std::string &stepping, const std::string &solver)
  {
    // (a, r1, r2), d = 8 in two blocks of 4 (D = 9): a Gaussian relaxing
    // towards c, each radius s chi_4 with its own relaxation rate.
    const unsigned int          d = 8, s0 = 4;
    const double                tau = 0.9, nu = tau / (d + 1), s_a = 0.2, s_r = 0.3;
    const std::array<double, 3> gamma = {{0.4, 0.5, 0.3}}, c = {{1.5, 0., 0.}};
    const double                a0 = 1.3;
    const Gaussian<3>           initial({{a0, 0., 0.}}, {{s_a, s_r, s_r}}, {{0, s0, d - s0}});
    const auto                  errors = run_study<3>(
      QuadraticPotential<3>(gamma, c, {{0., 0., 0.}}), initial,
      [=](double t) {
        return Gaussian<3>({{c[0] + (a0 - c[0]) * std::exp(-2. * gamma[0] * t), 0., 0.}},
                           {{std::sqrt(ou_variance(s_a * s_a, gamma[0], nu, t)),
                             std::sqrt(ou_variance(s_r * s_r, gamma[1], nu, t)),
                             std::sqrt(ou_variance(s_r * s_r, gamma[2], nu, t))}},
                           {{0, s0, d - s0}});
      },
      0.25, 3., {6, 12, 24}, "3D (a, r1, r2) with noise, " + stepping, make_problem(3, 0.25, d, tau, s0), stepping,
      solver);
    EXPECT_GE(fitted_order(errors.n_cells, errors.l1, 3), 1.8);
    EXPECT_GE(fitted_order(errors.n_cells, errors.w1, 3), 1.8);
  }
} // namespace

TEST(PdeExact, Noise1DRadius)
{
  noise_1d_radius("explicit");
}

// The implicit noise (IMEX) keeps mass + mass_out = 1 with the limiter at
// work (CFL 0.3, degree 1) and converges at the same order.
TEST(PdeExact, Noise1DRadiusImplicit)
{
  noise_1d_radius("implicit");
}

TEST(PdeExact, Noise2DAmplitudeRadius)
{
  noise_2d_amplitude_radius("explicit");
}

TEST(PdeExact, Noise2DAmplitudeRadiusImplicit)
{
  noise_2d_amplitude_radius("implicit");
}

// 3D: the noise's diffusion and its drift (m - 1) nu / r_b on each block's
// radius, explicit and implicit (CG with Trilinos AMG).
TEST(PdeExact, Noise3DAmplitudeTwoRadii)
{
  noise_3d_amplitude_two_radii("explicit", "direct");
}

TEST(PdeExact, Noise3DAmplitudeTwoRadiiImplicit)
{
  noise_3d_amplitude_two_radii("implicit", "iterative");
}
