// The IMEX time integrator of the noisy PDE: the explicit part (transport, a
// Runge-Kutta stage of Solver::compute_rate without the noise) and the linear
// noise operator nu(t) K implicit, by the ARS(2,2,2) scheme of Ascher, Ruuth
// and Spiteri (1997): second order, its implicit part L-stable and stiffly
// accurate, with a limiter after every stage. A steady state of the
// semi-discrete equations is a fixed point of the step.
#pragma once

#include <deal.II/lac/trilinos_vector.h>

#include <mfdd/pde/outflow.h>

#include <cmath>
#include <cstddef>

namespace mfdd::pde
{
  class ImexRungeKutta2
  {
  public:
    using VectorType = dealii::TrilinosWrappers::MPI::Vector;

    /**
     * One step u(t) -> u(t + dt) with M the mass matrix, E the explicit rate
     * and nu K the implicit one (gamma = 1 - 1/sqrt 2, delta = 1 - 1/(2 gamma)):
     *   (M - dt gamma nu(t2) K) U2 = M (u + dt gamma E(u)),            t2 = t + gamma dt,
     *   (M - dt gamma nu(t3) K) U3 = M (u + dt delta E(u) + dt (1 - delta) E(U2))
     *                                + dt (1 - gamma) nu(t2) K U2,       t3 = t + dt,
     * u = U3, each stage followed by limit(). @p k0 = E(u) with outflow rate
     * @p f0; @p rate(v, time, k) sets k = E(v) and returns its outflow rate;
     * @p nu(time) is the noise coefficient; @p noise has apply(src, dst) =
     * K, apply_mass(src, dst) = M, outflow_rate(v) = -1^T K v by side, total(v) =
     * 1^T v and solve(c, x, b, mass) for (M - c K) x = b with the stage's mass
     * balance enforced (NoiseOperator::solve). Returns the outflow over the step with the
     * scheme's weights: dt (delta f0 + (1 - delta) f1) + dt ((1 - gamma)
     * nu(t2) g2 + gamma nu(t3) g3), g the noise's outflow rates at U2, U3,
     * which leave through the box sides (noise closes the axes r_b = 0).
     */
    template <class Noise, class Rate, class Nu, class Limit>
    Outflow
    step(VectorType &u, double t, double dt, const VectorType &k0, const Outflow &f0, Noise &noise, const Rate &rate,
         const Nu &nu, const Limit &limit)
    {
      const double gamma = 1. - 1. / std::sqrt(2.), delta = 1. - 1. / (2. * gamma);
      if (!k1.trilinos_partitioner().SameAs(u.trilinos_partitioner()))
        for (auto *w : {&k1, &v, &rhs, &u2, &k_u2})
          w->reinit(u);
      const double nu2 = nu(t + gamma * dt), nu3 = nu(t + dt);

      combine(v, 1., u, gamma * dt, k0, 0., k0);
      noise.apply_mass(v, rhs);
      u2 = v;
      noise.solve(dt * gamma * nu2, u2, rhs, noise.total(rhs));
      limit(u2);
      const Outflow f1 = rate(u2, t + gamma * dt, k1);
      const Outflow g2 = noise.outflow_rate(u2);

      combine(v, 1., u, delta * dt, k0, (1. - delta) * dt, k1);
      noise.apply_mass(v, rhs);
      const double mass_balance = noise.total(rhs) - dt * (1. - gamma) * nu2 * g2.total();
      noise.apply(u2, k_u2);
      rhs.add(dt * (1. - gamma) * nu2, k_u2);
      u = u2;
      noise.solve(dt * gamma * nu3, u, rhs, mass_balance);
      // The outflow the solve balanced: the limiter keeps the mass but moves
      // the boundary values, and with them outflow_rate().
      const Outflow g3 = noise.outflow_rate(u);
      limit(u);
      return dt * (delta * f0 + (1. - delta) * f1) + (dt * (1. - gamma) * nu2) * g2 + (dt * gamma * nu3) * g3;
    }

  private:
    /// out = a x + (b y + c z) on the locally owned entries.
    static void
    combine(VectorType &out, double a, const VectorType &x, double b, const VectorType &y, double c,
            const VectorType &z)
    {
      const double *const xs = x.begin(), *const ys = y.begin(), *const zs = z.begin();
      double *const       o  = out.begin();
      const std::size_t   n  = out.end() - out.begin();
      for (std::size_t i = 0; i < n; ++i)
        o[i] = a * xs[i] + (b * ys[i] + c * zs[i]);
    }

    VectorType k1, v, rhs, u2, k_u2;
  };
} // namespace mfdd::pde
