// The mass that flows out of the PDE mesh, split by where it leaves: through
// which side of the box decides which sides a repeated solve moves outwards.
#pragma once

#include <array>
#include <cmath>
#include <numeric>

namespace mfdd::pde
{
  /**
   * An outflow (a rate, or its integral over time) by slot: slot 2k is the
   * lower side of coordinate k of the box, slot 2k + 1 its upper side, and
   * axis_slot the sides on an axis r_b = 0 of a radius coordinate, which no
   * box moves (there the mass leaves because neurons reach w_b = 0, or by the
   * discretisation error of a coarse mesh). The Runge-Kutta integrators
   * combine outflows with their weights like numbers.
   */
  struct Outflow
  {
    static constexpr unsigned int max_sides = 6;
    static constexpr unsigned int axis_slot = max_sides;
    std::array<double, max_sides + 1> slot{};

    /// The slot of a box side with outward unit normal @p normal (a
    /// deal.II Tensor<1, dim>): its largest component names the coordinate.
    template <typename Normal>
    static unsigned int
    side_slot(const Normal &normal)
    {
      unsigned int k = 0;
      for (unsigned int d = 1; d < Normal::dimension; ++d)
        if (std::abs(normal[d]) > std::abs(normal[k]))
          k = d;
      return 2 * k + (normal[k] > 0. ? 1 : 0);
    }

    double
    side(const unsigned int k, const bool upper) const
    {
      return slot[2 * k + (upper ? 1 : 0)];
    }
    double
    axis() const
    {
      return slot[axis_slot];
    }
    double
    box_sides() const
    {
      return std::accumulate(slot.begin(), slot.begin() + max_sides, 0.);
    }
    double
    total() const
    {
      return box_sides() + axis();
    }
    Outflow &
    operator+=(const Outflow &other)
    {
      for (unsigned int s = 0; s < slot.size(); ++s)
        slot[s] += other.slot[s];
      return *this;
    }
  };

  inline Outflow
  operator+(Outflow a, const Outflow &b)
  {
    return a += b;
  }

  inline Outflow
  operator*(const double c, Outflow a)
  {
    for (double &s : a.slot)
      s *= c;
    return a;
  }
} // namespace mfdd::pde
