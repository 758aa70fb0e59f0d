// The nonlocal potential and the default examples of every reduced setting:
// interpolation error of psi against the direct sum over
// weighted points; mass (plus mass_out) conserved to 1e-12, rho >= 0, risk
// non-increasing to 1e-10.
#include "make_problem.h"
#include <mfdd/model/reduced_setting.h>
#include <mfdd/pde/solver.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>

using namespace mfdd;
using dealii::Point;

namespace
{
  using test_support::make_problem;

  /// psi(z) = V(z) + alpha sum_q w_q U(z, z_q), directly from the kernels.
  double
  direct_psi(const kernels::PopulationKernels &kernels, const model::WeightedPoints &law, const double *z)
  {
    const unsigned int dim = kernels.dimension();
    double             sum = 0.;
    for (unsigned int q = 0; q < law.weights.size(); ++q)
      sum += law.weights[q] * kernels.U(z, &law.points[q * dim]);
    return kernels.V(z) + kernels.problem().alpha * sum;
  }

  /// Interpolated psi for the initial law given as weighted points, at @p z.
  template <int dim>
  double
  interpolated_psi(pde::NonlocalPotential<dim> &potential, const model::WeightedPoints &law,
                   const dealii::BoundingBox<dim> &box, const Point<dim> &z, dealii::Tensor<1, dim> &gradient)
  {
    std::vector<Point<dim>> points(law.weights.size());
    for (unsigned int q = 0; q < points.size(); ++q)
      for (unsigned int k = 0; k < dim; ++k)
        points[q][k] = law.points[q * dim + k];
    potential.reinit(box, points, {});
    potential.update(law.weights);
    return potential.value(z, &gradient);
  }
} // namespace

TEST(PdeNonlocal, InterpolationErrorRadius)
{
  const model::Problem             problem = make_problem({{"Kernel", "exact"}});
  const kernels::PopulationKernels kernels(problem);
  const auto                       law = model::initial_law_quadrature(problem.reduced_setting(), 60);
  const dealii::BoundingBox<1>     box(std::make_pair(Point<1>(0.), Point<1>(3.)));
  double                           previous = 1.;
  for (const unsigned int n : {24u, 48u, 96u, 128u})
    {
      pde::NonlocalPotential<1> potential(kernels, n);
      double                    error = 0., gradient_error = 0.;
      for (const double r : {0.05, 0.5, 0.83, 1.3, 1.77, 2.6})
        {
          dealii::Tensor<1, 1> gradient;
          const double         psi = interpolated_psi(potential, law, box, Point<1>(r), gradient);
          const double         h = 1e-5, zr[1] = {r}, zp[1] = {r + h}, zm[1] = {r - h};
          error = std::max(error, std::abs(psi - direct_psi(kernels, law, zr)));
          const double fd = (direct_psi(kernels, law, zp) - direct_psi(kernels, law, zm)) / (2. * h);
          gradient_error = std::max(gradient_error, std::abs(gradient[0] - fd));
        }
      std::cout << "radius: " << n << " nodes: psi error " << error << ", gradient error " << gradient_error
                << std::endl;
      EXPECT_LT(error, previous);
      previous = error;
      if (n == 128)
        {
          EXPECT_LT(error, 1e-8);
          EXPECT_LT(gradient_error, 1e-6); // limited by the finite difference
        }
    }
}

TEST(PdeNonlocal, InterpolationErrorTwoDimensions)
{
  for (const std::string setting : {"amplitude radius", "two radii"})
    {
      const bool           amplitude = setting == "amplitude radius";
      const model::Problem problem =
        amplitude ? make_problem({{"Second layer", "trainable"}, {"Dimension d", "10"}}) :
                    make_problem({{"Data model", "anisotropic"}, {"Dimension d", "10"}, {"Signal block size s0", "4"},
                                  {"Second block Delta", "0.2"}, {"Kernel", "large d"}});
      const kernels::PopulationKernels kernels(problem);
      const auto                       law = model::initial_law_quadrature(problem.reduced_setting(), 16);
      const dealii::BoundingBox<2>     box(std::make_pair(amplitude ? Point<2>(-2., 0.) : Point<2>(0., 0.),
                                                      amplitude ? Point<2>(2., 3.) : Point<2>(3., 3.)));
      const auto                start = std::chrono::steady_clock::now();
      pde::NonlocalPotential<2> potential(kernels, amplitude ? 96 : 40);
      double                    error = 0., scale = 0.;
      for (const double x : {0.3, 1.1, 1.7})
        for (const double y : {0.2, 0.9, 2.1})
          {
            const double         z[2] = {amplitude ? x - 1. : x, y};
            dealii::Tensor<1, 2> gradient;
            const double psi = interpolated_psi(potential, law, box, Point<2>(z[0], z[1]), gradient);
            const double exact = direct_psi(kernels, law, z);
            ASSERT_TRUE(std::isfinite(psi) && std::isfinite(exact)) << psi << ' ' << exact;
            error              = std::max(error, std::abs(psi - exact));
            scale              = std::max(scale, std::abs(exact));
          }
      std::cout << setting << ": psi error " << error << " (|psi| up to " << scale << "), "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s"
                << std::endl;
      EXPECT_LT(error, 1e-6 * std::max(1., scale));
    }
}

// (a, r1, r2): psi = a phi(r1, r2), only phi interpolated (on the radii's
// nodes); psi, grad psi and the risk against the direct sums over the same
// weighted points.
TEST(PdeNonlocal, InterpolationErrorAmplitudeTwoRadii)
{
  const model::Problem problem =
    make_problem({{"Data model", "anisotropic"}, {"Second layer", "trainable"}, {"Dimension d", "10"},
                  {"Signal block size s0", "4"}, {"Second block Delta", "0.2"}, {"Kernel", "large d"},
                  {"Initial a lower", "0.5"}, {"Initial a upper", "1.5"}}); // E a != 0: R depends on U
  const kernels::PopulationKernels kernels(problem);
  const auto                       law = model::initial_law_quadrature(problem.reduced_setting(), 10);
  const dealii::BoundingBox<3>     box(std::make_pair(Point<3>(-2., 0., 0.), Point<3>(2., 3., 3.)));
  pde::NonlocalPotential<3>        potential(kernels, 40);
  double                           error = 0., gradient_error = 0., scale = 0.;
  for (const double a : {-1.3, 0.4, 1.6})
    for (const double x : {0.3, 1.7})
      for (const double y : {0.2, 0.9, 2.1})
        {
          const double           z[3] = {a, x, y};
          dealii::Tensor<1, 3>   gradient;
          const double           psi   = interpolated_psi(potential, law, box, Point<3>(a, x, y), gradient);
          const double           exact = direct_psi(kernels, law, z);
          error                        = std::max(error, std::abs(psi - exact));
          scale                        = std::max(scale, std::abs(exact));
          for (unsigned int k = 0; k < 3; ++k)
            {
              const double h = 1e-5;
              double       zp[3] = {a, x, y}, zm[3] = {a, x, y};
              zp[k] += h;
              zm[k] -= h;
              const double fd = (direct_psi(kernels, law, zp) - direct_psi(kernels, law, zm)) / (2. * h);
              gradient_error  = std::max(gradient_error, std::abs(gradient[k] - fd));
            }
        }
  const double risk = potential.risk(), exact_risk = kernels.risk(law.points, law.weights);
  std::cout << std::setprecision(12) << "amplitude two radii: psi error " << error << " (|psi| up to " << scale << "), gradient error "
            << gradient_error << ", risk " << risk << " vs " << exact_risk << std::endl;
  EXPECT_LT(error, 1e-6 * std::max(1., scale));
  EXPECT_LT(gradient_error, 1e-4 * std::max(1., scale)); // spectral, but slower than psi
  EXPECT_NEAR(risk, exact_risk, 1e-8 * exact_risk);
}

// evaluate() computes phi once per site (distinct radii among the evaluation
// points) and spreads it over the points that share the radii: each point
// must get what value() gives at it alone, its own amplitude included.
template <int dim>
void
check_sites(const model::Problem &problem, const Point<dim> &lower, const Point<dim> &upper)
{
  const kernels::PopulationKernels kernels(problem);
  const auto                       law = model::initial_law_quadrature(problem.reduced_setting(), 10);
  std::vector<Point<dim>>          density_points(law.weights.size()), points;
  for (unsigned int q = 0; q < density_points.size(); ++q)
    for (unsigned int k = 0; k < dim; ++k)
      density_points[q][k] = law.points[q * dim + k];
  for (const double a : {-1.3, 0.4, 1.6})
    for (const double x : {0.3, 1.7, 0.3})
      for (const double y : {0.2, 0.9, 0.2})
        {
          Point<dim> z;
          z[0] = a;
          z[1] = x;
          if (dim == 3)
            z[dim - 1] = y;
          points.push_back(z);
        }
  pde::NonlocalPotential<dim> potential(kernels, 24);
  potential.reinit(dealii::BoundingBox<dim>(std::make_pair(lower, upper)), density_points, points);
  potential.update(law.weights);
  std::vector<double>                 psi;
  std::vector<dealii::Tensor<1, dim>> gradient;
  potential.evaluate(psi, gradient);
  ASSERT_EQ(psi.size(), points.size());
  for (unsigned int p = 0; p < points.size(); ++p)
    {
      dealii::Tensor<1, dim> g;
      const double           value = potential.value(points[p], &g);
      EXPECT_NEAR(psi[p], value, 1e-14 * std::max(1., std::abs(value))) << "point " << p;
      for (unsigned int k = 0; k < dim; ++k)
        EXPECT_NEAR(gradient[p][k], g[k], 1e-14 * std::max(1., g.norm())) << "point " << p << ", coordinate " << k;
    }
}

TEST(PdeNonlocal, EvaluateSharesSitesOnly)
{
  check_sites<2>(test_support::make_problem({{"Second layer", "trainable"}, {"Dimension d", "10"}, {"Weight decay lambda", "0.3"}}),
                 Point<2>(-2., 0.), Point<2>(2., 3.));
  check_sites<3>(test_support::make_problem({{"Data model", "anisotropic"}, {"Second layer", "trainable"}, {"Dimension d", "10"},
                               {"Signal block size s0", "4"}, {"Second block Delta", "0.2"}, {"Kernel", "large d"}}),
                 Point<3>(-2., 0., 0.), Point<3>(2., 3., 3.));
}
