// The time integrator of the PDE solver: the three-stage strong-stability-
// preserving Runge-Kutta scheme of Shu and Osher with a limiter after every
// stage. deal.II's TimeStepping::ExplicitRungeKutta offers no hook between
// stages, which the positivity limiter needs, and the solver needs the first
// stage's rate before the step size is known (the CFL condition reads its
// velocity); hence this small class.
#pragma once

#include <deal.II/lac/trilinos_vector.h>

#include <cstddef>

namespace mfdd::pde
{
  class SspRungeKutta3
  {
  public:
    using VectorType = dealii::TrilinosWrappers::MPI::Vector;

    /**
     * One step u(t) -> u(t + dt), given the first stage's rate @p k0 = L(u, t)
     * and its outflow rate @p f0: the stages
     *   u1 = u + dt k0,  u2 = 3/4 u + 1/4 (u1 + dt L(u1, t + dt)),
     *   u  = 1/3 u + 2/3 (u2 + dt L(u2, t + dt/2)),
     * each followed by limit(). @p rate(v, time, k) sets k = L(v, time) and
     * returns the outflow rate there (a number, or any type that adds and
     * scales like one). Returns the outflow over the step,
     * dt (f0 + f1 + 4 f2) / 6, the scheme's own quadrature of it.
     */
    template <class Flux, class Rate, class Limit>
    Flux
    step(VectorType &u, double t, double dt, const VectorType &k0, const Flux &f0, const Rate &rate, const Limit &limit)
    {
      // After a remeshing (the vectors share u's map: a cheap test).
      if (!k1.trilinos_partitioner().SameAs(u.trilinos_partitioner()))
        for (auto *v : {&k1, &k2, &u1, &u2})
          v->reinit(u);
      combine(u1, 1., u, 0., u, dt, k0);
      limit(u1);
      const Flux f1 = rate(u1, t + dt, k1);
      combine(u2, 0.75, u, 0.25, u1, 0.25 * dt, k1);
      limit(u2);
      const Flux f2 = rate(u2, t + 0.5 * dt, k2);
      combine(u, 1. / 3., u, 2. / 3., u2, 2. / 3. * dt, k2);
      limit(u);
      return (dt / 6.) * (f0 + f1 + 4. * f2);
    }

  private:
    /// u = (a v + b w) + c r on the locally owned entries, in one pass (a
    /// stage as a copy and two Trilinos updates took three).
    static void
    combine(VectorType &u, double a, const VectorType &v, double b, const VectorType &w, double c, const VectorType &r)
    {
      const double *const x = v.begin(), *const y = w.begin(), *const z = r.begin();
      double *const       out = u.begin();
      const std::size_t   n   = u.end() - u.begin();
      for (std::size_t i = 0; i < n; ++i)
        out[i] = (a * x[i] + b * y[i]) + c * z[i];
    }

    VectorType k1, k2, u1, u2;
  };
} // namespace mfdd::pde
