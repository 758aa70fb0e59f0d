// Four or eight doubles as one vector (GCC's vector extension): v8d is one
// AVX-512 register, two AVX2 or four SSE2 registers, whichever the function is
// compiled for; v4d is one AVX2 register. Unaligned loads and stores by memcpy;
// the instruction sets of the CPU, for kernels picked at run time.
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

  /// Whether this CPU has AVX-512 (x86-64-v4), for kernels picked at run time.
  inline bool
  has_avx512()
  {
    static const bool value = (__builtin_cpu_init(), __builtin_cpu_supports("x86-64-v4"));
    return value;
  }

  /// Whether this CPU has AVX2 and FMA (x86-64-v3).
  inline bool
  has_avx2()
  {
    static const bool value = (__builtin_cpu_init(), __builtin_cpu_supports("x86-64-v3"));
    return value;
  }
} // namespace mfdd::particles
