// A refinement study of the PDE solver for users who want to see it converge
// (the `PDE/Convergence study` key): one input file, a sequence of h-, p- or
// dt-refined solves, errors against the finest and observed orders.
#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/problem.h>
#include <mfdd/pde/parameters.h>

#include <mpi.h>

#include <functional>

namespace mfdd::pde
{
  /**
   * Solves @p problem PDE/Convergence levels times, refined at each level as
   * PDE/Convergence study says, and writes convergence.csv into the output
   * folder (rank 0): per level but the finest, the sup over output times of
   * |risk - finest risk| and of |mean of each coordinate - finest|, and the
   * observed orders log2(e_{l-1} / e_l) from deal.II's ConvergenceTable,
   * which also prints the table. Calls @p before_output before any file.
   */
  void
  run_convergence_study(const model::Problem &problem, const SolverParameters &parameters,
                        const io::OutputParameters &output, const std::function<void()> &before_output,
                        MPI_Comm communicator = MPI_COMM_WORLD);
} // namespace mfdd::pde
