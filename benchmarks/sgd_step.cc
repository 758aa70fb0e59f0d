// Throughput of the SGD step, reported against baselines measured in
// the same run: one core's FMA peak (an FMA kernel with independent chains),
// the stream bandwidth (a triad over arrays far larger than the caches), and
// the cost of recording R_N in a run with 200 output times.
//
//   sgd_step              the table for (N, d) = (1000, 40) and (10000, 100), B = 1,
//                         then the exact-risk share ("sgd_step table": the table only)
//   sgd_step scaling N d  steps/s of N neurons on MPI_COMM_WORLD (run under mpirun -np 1 and 2)
#include <mfdd/particles/sgd.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace mfdd;
using Clock = std::chrono::steady_clock;

namespace
{
  double
  seconds_since(Clock::time_point start)
  {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  // CPU time of this thread: the machine may be shared, and a single-core
  // measurement should not count the time the core spent on other processes.
  double
  cpu_seconds()
  {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
  }

  typedef double v4 __attribute__((vector_size(32)));
  typedef double v8 __attribute__((vector_size(64)));

  // Independent FMA chains: enough to cover the FMA latency (4 cycles) on two
  // ports (8 or more), and few enough that they and the two operands stay in
  // registers (AVX2 has 16: 12 chains; with 16 chains the loop spilled and the
  // "peak" came out 30% low). A macro rather than a template so that the body
  // is compiled for the target of the function that holds it.
#define MFDD_FMA_CHAINS(V, chains)                                  \
  constexpr int      n = chains, lanes = sizeof(V) / 8;             \
  V                  acc[n], b, c;                                  \
  for (int m = 0; m < n; ++m)                                       \
    for (int l = 0; l < lanes; ++l)                                 \
      acc[m][l] = 1e-3 * (m + l);                                   \
  for (int l = 0; l < lanes; ++l)                                   \
    {                                                               \
      b[l] = 0.999999;                                              \
      c[l] = 1e-7;                                                  \
    }                                                               \
  for (long it = 0; it < iterations; ++it)                          \
    for (int m = 0; m < n; ++m)                                     \
      acc[m] = acc[m] * b + c;                                      \
  double sum = 0.;                                                  \
  for (int m = 0; m < n; ++m)                                       \
    for (int l = 0; l < lanes; ++l)                                 \
      sum += acc[m][l];                                             \
  return sum;

  __attribute__((target("avx2,fma"))) double
  fma_avx2(long iterations)
  {
    MFDD_FMA_CHAINS(v4, 12)
  }
  __attribute__((target("avx512f,fma"))) double
  fma_avx512(long iterations)
  {
    MFDD_FMA_CHAINS(v8, 16)
  }
#undef MFDD_FMA_CHAINS

  // GFLOP/s of one core: 2 flops per FMA lane.
  double
  fma_peak(bool avx512)
  {
    const long   iterations = 20000000;
    const double lanes      = avx512 ? 8 : 4;
    double       best       = 0.;
    for (int repeat = 0; repeat < 3; ++repeat)
      {
        const double    start = cpu_seconds();
        volatile double sink  = avx512 ? fma_avx512(iterations) : fma_avx2(iterations);
        (void)sink;
        const double chains = avx512 ? 16 : 12;
        best = std::max(best, chains * lanes * 2. * iterations / (cpu_seconds() - start) / 1e9);
      }
    return best;
  }

  // Triad a = b + s c over 3 x 80 MB, best of 5: GB/s counting 3 x 8 bytes per entry
  // (the write-allocate read of a not counted, as STREAM does).
  double
  stream_bandwidth()
  {
    const std::size_t   n = 10000000;
    std::vector<double> a(n, 0.), b(n, 1.), c(n, 2.);
    double              best = 0.;
    for (int repeat = 0; repeat < 5; ++repeat)
      {
        const double start = cpu_seconds();
        for (std::size_t i = 0; i < n; ++i)
          a[i] = b[i] + 0.5 * c[i];
        best = std::max(best, 24. * n / (cpu_seconds() - start) / 1e9);
        b[repeat] = a[n - 1 - repeat];
      }
    return best;
  }

  // One read and one write of every weight, with one FMA each: the least
  // memory work any SGD step does (it must update every weight), so its rate
  // is a ceiling for the steps/s of any implementation of the step.
#define MFDD_WEIGHT_PASS(V)                                          \
  constexpr int lanes = sizeof(V) / 8;                               \
  V            *v     = reinterpret_cast<V *>(w);                    \
  V             b, c;                                                \
  for (int l = 0; l < lanes; ++l)                                    \
    {                                                                \
      b[l] = 0.999999;                                               \
      c[l] = 1e-7;                                                   \
    }                                                                \
  for (std::size_t j = 0; j < n / lanes; ++j)                        \
    v[j] = v[j] * b + c;

  __attribute__((target("avx2,fma"))) void
  weight_pass_avx2(double *w, std::size_t n)
  {
    MFDD_WEIGHT_PASS(v4)
  }
  __attribute__((target("avx512f,fma"))) void
  weight_pass_avx512(double *w, std::size_t n)
  {
    MFDD_WEIGHT_PASS(v8)
  }
#undef MFDD_WEIGHT_PASS

  // Passes per second over N d weights (a multiple of 8), best of 3 of 1 s each.
  double
  weight_pass_rate(unsigned int N, unsigned int d, bool avx512)
  {
    const std::size_t n = std::size_t(N) * d;
    double *w = static_cast<double *>(std::aligned_alloc(64, n * sizeof(double)));
    std::fill(w, w + n, 1.);
    double best = 0.;
    for (int repeat = 0; repeat < 3; ++repeat)
      {
        long         passes = 0;
        const double start  = cpu_seconds();
        while (cpu_seconds() - start < 1.)
          {
            for (int m = 0; m < 20; ++m)
              avx512 ? weight_pass_avx512(w, n) : weight_pass_avx2(w, n);
            passes += 20;
          }
        best = std::max(best, passes / (cpu_seconds() - start));
      }
    volatile double sink = w[n - 1];
    (void)sink;
    std::free(w);
    return best;
  }

  model::Problem
  running_example(unsigned int d)
  {
    dealii::ParameterHandler prm;
    model::Problem::declare_parameters(prm);
    prm.enter_subsection("Problem");
    prm.set("Dimension d", std::to_string(d));
    prm.leave_subsection();
    model::Problem problem;
    problem.parse_parameters(prm);
    return problem;
  }

  particles::SgdParameters
  parameters(unsigned int N, double epsilon)
  {
    particles::SgdParameters p;
    p.N       = N;
    p.epsilon = epsilon;
    return p;
  }

  // Steps per second over at least @p seconds (after 10 warm-up steps), by
  // this thread's CPU time (@p cpu) or by wall time (for the MPI scaling, where
  // waiting for the other rank is part of the cost).
  double
  steps_per_second(unsigned int N, unsigned int d, double seconds, MPI_Comm comm, bool cpu)
  {
    const auto                problem = running_example(d);
    auto                      p = parameters(N, 1e-9);
    particles::SgdSimulator   sgd(problem, p, 1, comm);
    for (int k = 0; k < 10; ++k)
      sgd.step();
    long         steps = 0;
    const auto   start = Clock::now();
    const double cpu_start = cpu_seconds();
    const auto   elapsed   = [&]() { return cpu ? cpu_seconds() - cpu_start : seconds_since(start); };
    int          go        = 1;
    while (go)
      {
        sgd.advance(sgd.step_index() + 50);
        steps += 50;
        go = elapsed() < seconds;
        MPI_Bcast(&go, 1, MPI_INT, 0, comm);
      }
    return steps / elapsed();
  }

  // Wall time of a run with 200 output times, with R_N recorded as SGD/Exact
  // risk every says (0 = automatic) or not at all (-1).
  double
  run_seconds(unsigned int N, unsigned int d, double epsilon, int every)
  {
    const auto problem = running_example(d);
    auto       p       = parameters(N, epsilon);
    p.output_interval  = problem.final_time / 200.;
    p.record_exact_risk = every >= 0;
    p.exact_risk_every  = every > 0 ? every : 0;
    const double start  = cpu_seconds();
    particles::run_sgd(problem, p, 1, MPI_COMM_SELF);
    return cpu_seconds() - start;
  }
} // namespace

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;

  if (argc == 4 && std::string(argv[1]) == "scaling")
    {
      const unsigned int N = std::atoi(argv[2]), d = std::atoi(argv[3]);
      const double       rate = steps_per_second(N, d, 5., MPI_COMM_WORLD, false);
      if (root)
        std::printf("scaling N=%u d=%u ranks=%u steps/s=%.2f GFLOP/s=%.3f\n", N, d,
                    dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD), rate, 4. * N * d * rate / 1e9);
      return 0;
    }

  const bool   avx512 = __builtin_cpu_supports("avx512f");
  const double peak2  = fma_peak(false);
  const double peak5  = avx512 ? fma_peak(true) : 0.;
  const double bandwidth = stream_bandwidth();
  std::printf("one core FMA peak: %.2f GFLOP/s (AVX2)", peak2);
  if (avx512)
    std::printf(", %.2f GFLOP/s (AVX-512)", peak5);
  std::printf("\nstream triad bandwidth: %.2f GB/s\n", bandwidth);
  std::printf("N,d,steps_per_s,GFLOP_per_s,fraction_of_avx2_peak,fraction_of_avx512_peak,"
              "bandwidth_bound_steps_per_s,fraction_of_bandwidth_bound\n");
  for (const auto &[N, d] : {std::pair<unsigned, unsigned>{1000, 40}, {10000, 100}})
    {
      const double rate   = steps_per_second(N, d, 3., MPI_COMM_SELF, true);
      const double gflops = 4. * N * d * rate / 1e9;
      // Weights moved per step: each read and written once (the update is
      // fused with the next step's products <w_i, x_{k+1}>).
      const double bound = bandwidth * 1e9 / (2. * 8. * N * d);
      std::printf("%u,%u,%.1f,%.3f,%.3f,%.3f,%.1f,%.3f\n", N, d, rate, gflops, gflops / peak2,
                  avx512 ? gflops / peak5 : 0., bound, rate / bound);
    }
  for (const auto &[N, d] : {std::pair<unsigned, unsigned>{1000, 40}, {10000, 100}})
    std::printf("weight pass %u,%u: %.1f passes/s (read and write every weight once: a ceiling for steps/s)\n", N,
                d, weight_pass_rate(N, d, avx512));

  if (argc == 2 && std::string(argv[1]) == "table")
    return 0;
  // Exact-risk share in a run with 200 output times (running example, N = 1000,
  // epsilon = 1e-3, T = 2: 10 steps per output time).
  const double none = run_seconds(1000, 40, 1e-3, -1);
  const double automatic = run_seconds(1000, 40, 1e-3, 0);
  const double every = run_seconds(1000, 40, 1e-3, 1);
  const auto   problem = running_example(40);
  auto         p       = parameters(1000, 1e-3);
  p.output_interval    = 0.01;
  {
    // The pair cost of the automatic period's cost model, in multiply-adds of a step.
    particles::SgdSimulator sgd(problem, p, 1, MPI_COMM_SELF);
    sgd.exact_risk(); // set-up outside the timing
    const double start  = cpu_seconds();
    sgd.exact_risk();
    const double record = cpu_seconds() - start;
    const double rate   = steps_per_second(1000, 40, 2., MPI_COMM_SELF, true) * 2. * 1000 * 40;
    std::printf("R_N record, N=1000, d=40: %.3f s = %.0f multiply-adds of a step per pair (minus d: the "
                "pair cost of SgdParameters::exact_risk_period)\n",
                record, record * rate / (0.5 * 1000. * 1000.));
  }
  std::printf("200 output times, N=1000, d=40, epsilon=1e-3: run without R_N %.2f s; automatic period %u: "
              "%.2f s (R_N share %.1f%%); R_N at every output time: %.2f s (share %.1f%%)\n",
              none, p.exact_risk_period(problem, p.n_output_times(problem)), automatic, 100. * (automatic - none) / automatic, every,
              100. * (every - none) / every);
  return 0;
}
