// Four or eight doubles as one vector (GCC's vector extension): v8d is one
// AVX-512 register, two AVX2 or four SSE2 registers, whichever the function is
// compiled for; v4d is one AVX2 register. Unaligned loads and stores by memcpy.
#pragma once

#include <cstring>

namespace mfdd::particles
{
  typedef double v4d __attribute__((vector_size(32)));
  typedef double v8d __attribute__((vector_size(64)));

  template <typename Vector>
  __attribute__((always_inline)) inline Vector
  load_vector(const double *p)
  {
    Vector v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }

  template <typename Vector>
  __attribute__((always_inline)) inline void
  store_vector(double *p, Vector v)
  {
    std::memcpy(p, &v, sizeof(v));
  }
} // namespace mfdd::particles
