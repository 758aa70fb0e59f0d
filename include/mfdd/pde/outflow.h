// The mass that flows out of the PDE mesh, split by where it leaves: whether a
// larger box would have kept it decides if the solve is repeated on one.
#pragma once

namespace mfdd::pde
{
  /**
   * An outflow (a rate, or its integral over time): through the sides of the
   * box that a larger box would move outwards, and through the sides on an
   * axis r_b = 0 of a radius coordinate, which no box moves (there the mass
   * leaves because neurons reach w_b = 0, or by the discretisation error of a
   * coarse mesh). The Runge-Kutta integrators combine outflows with their
   * weights like numbers.
   */
  struct Outflow
  {
    double box_sides = 0.;
    double axis      = 0.;

    double
    total() const
    {
      return box_sides + axis;
    }
    Outflow &
    operator+=(const Outflow &other)
    {
      box_sides += other.box_sides;
      axis += other.axis;
      return *this;
    }
  };

  inline Outflow
  operator+(Outflow a, const Outflow &b)
  {
    return a += b;
  }

  inline Outflow
  operator*(const double c, const Outflow &a)
  {
    return {c * a.box_sides, c * a.axis};
  }
} // namespace mfdd::pde
