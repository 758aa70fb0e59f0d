// Throughput of the SGD step, reported against baselines measured in the
// same run: one core's FMA peak (an FMA kernel with independent chains), the
// step by step update against the blocked one, and the cost of recording R_N
// in a run with 200 output times.
//
//   sgd_step                 the table for (N, d) = (1000, 40), (10000, 100) and (100000, 100),
//                            B = 1, then the exact-risk share ("sgd_step table": the table only)
//   sgd_step blocks N d [m]  steps/s against the block length (or for block length m)
//   sgd_step scaling N d     steps/s of N neurons on MPI_COMM_WORLD (run under mpirun -np 1 and 2)
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

  // SGD/Block length as declared (the default of a run; 0 = automatic).
  unsigned int
  default_block_length()
  {
    dealii::ParameterHandler prm;
    particles::SgdParameters::declare_parameters(prm);
    prm.enter_subsection("Output");
    prm.declare_entry("Output interval", "0.1");
    prm.leave_subsection();
    particles::SgdParameters p;
    p.parse_parameters(prm);
    return p.block_length;
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
  steps_per_second(unsigned int N, unsigned int d, double seconds, MPI_Comm comm, bool cpu, unsigned int m)
  {
    const auto                problem = running_example(d);
    auto                      p = parameters(N, 1e-9);
    p.block_length              = m;
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
        // Pieces of 1024 steps, as SgdSimulator::run() advances between
        // progress lines (the weights kept in the block layout between them).
        sgd.advance(sgd.step_index() + 1024, true);
        steps += 1024;
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

  if ((argc == 4 || argc == 5) && std::string(argv[1]) == "blocks")
    {
      // steps/s against the block length (all, or the one given), one core.
      const unsigned int        N = std::atoi(argv[2]), d = std::atoi(argv[3]);
      std::vector<unsigned int> lengths = {1, 2, 4, 8, 12, 16, 24, 32, 48, 64};
      if (argc == 5)
        lengths = {unsigned(std::atoi(argv[4]))};
      for (const unsigned int m : lengths)
        {
          const double rate = steps_per_second(N, d, 2., MPI_COMM_SELF, true, m);
          std::printf("blocks N=%u d=%u m=%u steps/s=%.1f GFLOP/s=%.3f\n", N, d, m, rate, 4. * N * d * rate / 1e9);
          std::fflush(stdout);
        }
      return 0;
    }
  if (argc == 4 && std::string(argv[1]) == "scaling")
    {
      const unsigned int N = std::atoi(argv[2]), d = std::atoi(argv[3]);
      const double       rate = steps_per_second(N, d, 5., MPI_COMM_WORLD, false, default_block_length());
      if (root)
        std::printf("scaling N=%u d=%u ranks=%u steps/s=%.2f GFLOP/s=%.3f\n", N, d,
                    dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD), rate, 4. * N * d * rate / 1e9);
      return 0;
    }

  const bool   avx512 = __builtin_cpu_supports("avx512f");
  const double peak2  = fma_peak(false);
  const double peak5  = avx512 ? fma_peak(true) : 0.;
  std::printf("one core FMA peak: %.2f GFLOP/s (AVX2)", peak2);
  if (avx512)
    std::printf(", %.2f GFLOP/s (AVX-512)", peak5);
  // The step by step update (block length 1) and the blocked one (the
  // default block length), one core each, in this run.
  const unsigned int m = default_block_length();
  std::printf("\nN,d,update,block_length,steps_per_s,GFLOP_per_s,fraction_of_avx2_peak,fraction_of_avx512_peak\n");
  for (const auto &[N, d] : {std::pair<unsigned, unsigned>{1000, 40}, {10000, 100}, {100000, 100}})
    for (const unsigned int length : {1u, m})
      {
        const double rate   = steps_per_second(N, d, 3., MPI_COMM_SELF, true, length);
        const double gflops = 4. * N * d * rate / 1e9;
        auto         p      = parameters(N, 1e-9);
        p.block_length      = length;
        std::printf("%u,%u,%s,%u,%.1f,%.3f,%.3f,%.3f\n", N, d, length == 1 ? "step" : "blocked",
                    p.steps_per_block(running_example(d)), rate, gflops, gflops / peak2, avx512 ? gflops / peak5 : 0.);
        std::fflush(stdout);
      }

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
    const double rate   = steps_per_second(1000, 40, 2., MPI_COMM_SELF, true, 1) * 2. * 1000 * 40;
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
