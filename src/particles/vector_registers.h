// Four or eight doubles as one vector (GCC's vector extension): v8d is one
// AVX-512 register, two AVX2 or four SSE2 registers, whichever the function is
// compiled for; v4d is one AVX2 register. Unaligned loads and stores by memcpy;
// the instruction sets of the CPU, for kernels picked at run time.
#pragma once

#include <cstring>
#include <cstdlib>

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

  /**
   * Eight doubles as two v4d, for the AVX2 kernels: GCC lowers a v8d for a
   * target without AVX-512 through general registers and the stack (the
   * panel products ran at about 0.1 of the FMA peak so).
   */
  struct v4d_pair
  {
    v4d low, high;
  };

  // Loaded and stored as two v4d: one memcpy of the pair goes through the stack.
  template <>
  __attribute__((always_inline)) inline v4d_pair
  load_vector<v4d_pair>(const double *p)
  {
    return {load_vector<v4d>(p), load_vector<v4d>(p + 4)};
  }

  __attribute__((always_inline)) inline void
  store_vector(double *p, const v4d_pair &v)
  {
    store_vector(p, v.low);
    store_vector(p + 4, v.high);
  }

  __attribute__((always_inline)) inline v4d_pair
  operator+(const v4d_pair &a, const v4d_pair &b)
  {
    return {a.low + b.low, a.high + b.high};
  }

  __attribute__((always_inline)) inline v4d_pair &
  operator+=(v4d_pair &a, const v4d_pair &b)
  {
    a.low += b.low;
    a.high += b.high;
    return a;
  }

  __attribute__((always_inline)) inline v4d_pair
  operator*(const v4d_pair &a, double s)
  {
    return {a.low * s, a.high * s};
  }

  /**
   * The instruction sets the kernels picked at run time may use: the CPU's,
   * capped by the environment variable MFDD_SIMD ("avx2": no AVX-512;
   * "none": neither; any other value: no cap), so that one machine can test
   * every kernel.
   */
  inline int
  simd_cap()
  {
    const char *value = std::getenv("MFDD_SIMD");
    if (value == nullptr)
      return 2;
    return std::strcmp(value, "none") == 0 ? 0 : std::strcmp(value, "avx2") == 0 ? 1 : 2;
  }

  /// Whether the kernels may use AVX-512 (x86-64-v4).
  inline bool
  has_avx512()
  {
    static const bool value = (__builtin_cpu_init(), __builtin_cpu_supports("x86-64-v4")) && simd_cap() >= 2;
    return value;
  }

  /// Whether the kernels may use AVX2 and FMA (x86-64-v3).
  inline bool
  has_avx2()
  {
    static const bool value = (__builtin_cpu_init(), __builtin_cpu_supports("x86-64-v3")) && simd_cap() >= 1;
    return value;
  }
} // namespace mfdd::particles
