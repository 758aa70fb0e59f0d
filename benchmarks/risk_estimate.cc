// The sampled risk R_N (kernels::NetworkRisk::sampled, doc/theory.md §5) of a
// network of the running example (params/sgd_radius.prm: isotropic data,
// truncated ReLU, fixed second layer, kappa = 0.8) after SGD up to time T with
// epsilon = 1e-3: CPU time per record and standard error for control variates
// of 3, 2, 1 and 0 Mehler terms (0 = plain pair sampling), and optionally the
// exact R_N with its time as the baseline.
//
//   risk_estimate N d [T = 1] [M = 1e6] [exact]
#include <mfdd/particles/sgd.h>

#include <deal.II/base/parameter_handler.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

using namespace mfdd;

namespace
{
  // CPU time of this thread (the machine may be shared).
  double
  cpu_seconds()
  {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
  }
} // namespace

int
main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  if (argc < 3)
    {
      std::fprintf(stderr, "usage: risk_estimate N d [T] [M] [exact]\n");
      return 1;
    }
  const unsigned int  N = std::atoi(argv[1]), d = std::atoi(argv[2]);
  const double        T     = argc > 3 ? std::atof(argv[3]) : 1.;
  const unsigned long M     = argc > 4 ? std::atof(argv[4]) : 1e6;
  const bool          exact = argc > 5 && std::string(argv[5]) == "exact";

  dealii::ParameterHandler prm;
  model::Problem::declare_parameters(prm);
  prm.enter_subsection("Problem");
  prm.set("Dimension d", std::to_string(d));
  prm.set("Final time", std::to_string(T));
  prm.leave_subsection();
  model::Problem problem;
  problem.parse_parameters(prm);

  particles::SgdParameters parameters;
  parameters.N            = N;
  parameters.epsilon      = 1e-3;
  parameters.block_length = 0;
  particles::SgdSimulator sgd(problem, parameters, 1, MPI_COMM_WORLD);
  double                  start = cpu_seconds();
  sgd.advance(parameters.n_steps(problem));
  std::printf("N = %u, d = %u, SGD to t = %g (%.1f s CPU)\n", N, d, T, cpu_seconds() - start);

  const kernels::NetworkRisk risk(problem);
  for (const unsigned int terms : {3u, 2u, 1u, 0u})
    {
      kernels::NetworkRisk::Sampling sampling;
      sampling.pairs         = M;
      sampling.seed          = 7;
      sampling.control_terms = terms;
      start                  = cpu_seconds();
      const auto result      = risk.sampled(sgd.weights().data(), sgd.amplitudes().data(), sgd.n_local(), sampling,
                                       MPI_COMM_WORLD);
      std::printf("sampled, M = %lu, control terms %u: R_N = %.8f  standard error %.2e  %.2f s CPU\n", M, terms,
                  result.risk, result.standard_error, cpu_seconds() - start);
    }
  if (exact)
    {
      start             = cpu_seconds();
      const auto result = risk(sgd.weights().data(), sgd.amplitudes().data(), sgd.n_local(), MPI_COMM_WORLD);
      std::printf("exact:                            R_N = %.8f  %.2f s CPU\n", result.risk, cpu_seconds() - start);
    }
  MPI_Finalize();
}
