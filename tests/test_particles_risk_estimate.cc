// The SGD's recorded risk with SGD/Risk estimate (run on 2 ranks): a sampled
// run records R_N and its standard error at every output time, within a few
// standard errors of the exact R_N and the same on any number of ranks;
// automatic picks the exact risk for small N and the sampled one where exact
// records would not fit; bad values are refused naming the parameter.
#include "make_problem.h"
#include <mfdd/io/input_error.h>
#include <mfdd/io/output.h>
#include <mfdd/particles/sgd.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

using namespace mfdd;
using particles::SgdParameters;
using particles::SgdSimulator;
using Estimate = SgdParameters::RiskEstimate;

namespace
{
  using test_support::make_problem;

  SgdParameters
  make_parameters(unsigned int N, double epsilon, Estimate estimate)
  {
    SgdParameters p;
    p.N                 = N;
    p.epsilon           = epsilon;
    p.output_interval   = 0.1;
    p.risk_estimate     = estimate;
    p.risk_sample_pairs = 40000;
    return p;
  }

  unsigned int
  rank()
  {
    return dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD);
  }
} // namespace

// Sampled: R_N and its standard error at every output time (period 1), in the
// trajectory and in sgd_diagnostics.csv; the last within 4 standard errors of
// the exact R_N of the final network; 2 ranks against 1 (MPI_COMM_SELF): the
// same bits.
TEST(SgdRiskEstimate, SampledRecordsEveryOutputTime)
{
  const auto problem = make_problem({{"Dimension d", "16"}, {"Final time", "0.5"}});
  auto       p       = make_parameters(400, 1e-2, Estimate::sampled);
  p.exact_risk_every = 1;
  io::OutputParameters output;
  output.folder    = "risk_estimate_output";
  output.write_vtu = false;
  output.prepare_folder();

  SgdSimulator sgd(problem, p, 3, MPI_COMM_WORLD), serial(problem, p, 3, MPI_COMM_SELF);
  const auto   trajectory = sgd.run(&output);
  const auto   reference  = serial.run();
  ASSERT_EQ(trajectory.size(), 6u);
  for (std::size_t n = 0; n < trajectory.size(); ++n)
    {
      EXPECT_TRUE(std::isfinite(trajectory[n].risk)) << n;
      EXPECT_GT(trajectory[n].risk_standard_error, 0.) << n;
      EXPECT_LT(trajectory[n].risk_standard_error, 1e-2 * trajectory[n].risk) << n;
      EXPECT_EQ(trajectory[n].risk, reference[n].risk) << n;
      EXPECT_EQ(trajectory[n].risk_standard_error, reference[n].risk_standard_error) << n;
    }
  const auto exact = sgd.exact_risk();
  EXPECT_NEAR(trajectory.back().risk, exact.risk, 4. * trajectory.back().risk_standard_error);
  EXPECT_NEAR(trajectory.back().self_interaction, exact.self_interaction, 1e-14 * exact.risk);

  if (rank() == 0)
    {
      std::ifstream csv(output.path("sgd_diagnostics.csv"));
      std::string   line;
      std::getline(csv, line);
      EXPECT_EQ(line, "k,t,risk_exact,risk_online,self_interaction,risk_standard_error,mean_r");
      unsigned int rows = 0;
      while (std::getline(csv, line))
        {
          // the sixth column is the standard error, positive on every row
          std::size_t start = 0;
          for (unsigned int c = 0; c < 5; ++c)
            start = line.find(',', start) + 1;
          EXPECT_GT(std::stod(line.substr(start, line.find(',', start) - start)), 0.) << line;
          ++rows;
        }
      EXPECT_EQ(rows, 6u);
    }
}

// Automatic, M = 1e6: exact for N = 1000 (an exact record, 1.85e8
// multiply-adds, is cheaper than a sampled one, 6e8), whose standard error is 0; at N = 25600 and
// epsilon = 1e-5 (exact records cost 1.2e11, none fits in 20% of the steps'
// 4.1e11) sampled, at every output time (a sampled record costs 1.6e9).
TEST(SgdRiskEstimate, AutomaticChoice)
{
  const auto problem = make_problem({{"Final time", "0.2"}}); // d = 40
  auto       small   = make_parameters(1000, 1e-3, Estimate::automatic);
  small.risk_sample_pairs = 1000000;
  EXPECT_EQ(small.resolved_risk_estimate(problem), Estimate::exact);
  small.N              = 200;
  small.exact_risk_every = 1;
  SgdSimulator sgd(problem, small, 1, MPI_COMM_WORLD);
  const auto   trajectory = sgd.run();
  for (const auto &snapshot : trajectory)
    {
      EXPECT_TRUE(std::isfinite(snapshot.risk));
      EXPECT_EQ(snapshot.risk_standard_error, 0.);
    }
  EXPECT_EQ(trajectory.back().risk, sgd.exact_risk().risk);

  const auto full  = make_problem({}); // T = 2, 21 output times
  auto       large = small;
  large.N          = 25600;
  large.epsilon    = 1e-5;
  large.exact_risk_every = 0;
  EXPECT_EQ(large.resolved_risk_estimate(full), Estimate::sampled);
  EXPECT_EQ(large.exact_risk_period(full, 21), 1u);
  large.risk_estimate = Estimate::exact;
  EXPECT_EQ(large.exact_risk_period(full, 21), 0u);
  // exact where its records at every output time fit, even if a sampled one is cheaper
  large.epsilon       = 1e-8;
  large.risk_estimate = Estimate::automatic;
  EXPECT_EQ(large.resolved_risk_estimate(full), Estimate::exact);
}

// Bad SGD/Risk sample pairs and SGD/Risk estimate values are refused.
TEST(SgdRiskEstimate, BadInput)
{
  for (const std::string pairs : {"0", "-5", "abc", "1.5", "", "1e14"})
    {
      dealii::ParameterHandler prm;
      SgdParameters::declare_parameters(prm);
      io::OutputParameters::declare_parameters(prm);
      prm.enter_subsection("SGD");
      prm.set("Risk sample pairs", pairs);
      prm.leave_subsection();
      SgdParameters p;
      try
        {
          p.parse_parameters(prm);
          ADD_FAILURE() << "accepted Risk sample pairs = '" << pairs << "'";
        }
      catch (const io::InputError &e)
        {
          EXPECT_NE(std::string(e.what()).find("SGD/Risk sample pairs"), std::string::npos) << e.what();
        }
    }
  dealii::ParameterHandler prm;
  SgdParameters::declare_parameters(prm);
  io::OutputParameters::declare_parameters(prm);
  prm.enter_subsection("SGD");
  EXPECT_ANY_THROW(prm.set("Risk estimate", "approximate"));
  prm.set("Risk sample pairs", "2e6");
  prm.set("Risk estimate", "sampled");
  prm.leave_subsection();
  SgdParameters p;
  p.parse_parameters(prm);
  EXPECT_EQ(p.risk_sample_pairs, 2000000ul);
  EXPECT_EQ(p.risk_estimate, Estimate::sampled);
}
