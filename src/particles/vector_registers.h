// Eight doubles as one vector (GCC's vector extension): one AVX-512 register,
// two AVX2 or four SSE2 registers, whichever the function is compiled for.
#pragma once

#include <cstring>

namespace mfdd::particles
{
  typedef double v8d __attribute__((vector_size(64)));

  __attribute__((always_inline)) inline v8d
  load8(const double *p)
  {
    v8d v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }

  __attribute__((always_inline)) inline void
  store8(double *p, v8d v)
  {
    std::memcpy(p, &v, sizeof(v));
  }
} // namespace mfdd::particles
