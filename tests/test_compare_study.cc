// The study driver on synthetic evolutions: run design, rank-count
// independence, resumability, refusal of a different study, rate fits on
// tables with known exponents. Runs on two MPI ranks.
#include <mfdd/compare/bias_fluctuation.h>
#include <mfdd/compare/study.h>
#include <mfdd/io/input_error.h>

#include <deal.II/base/mpi.h>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/mersenne_twister.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace mfdd;
using namespace mfdd::compare;

namespace
{
  // f(r) = (3/4)(1 - (r - 1)^2) on [0, 2]
  double
  density(double r)
  {
    return r < 0. || r > 2. ? 0. : 0.75 * (1. - (r - 1.) * (r - 1.));
  }

  // The "PDE": f on a grid (finer at level 1), risk 1 - t/10, times 0, 0.5, 1.
  // The "SGD": N samples of f shifted by 5 d epsilon t, risk with a 6.5/N
  // self-interaction and a 1/sqrt(N) fluctuation; depends only on the run.
  class SyntheticEvolutions : public Evolutions
  {
  public:
    mutable unsigned int sgd_calls = 0;

    model::ReducedLawTrajectory
    pde(unsigned int, unsigned int level) const override
    {
      model::ReducedLawTrajectory trajectory;
      const unsigned int          n = level == 0 ? 200 : 400;
      for (const double t : {0., 0.5, 1.})
        {
          model::ReducedLawSnapshot s;
          s.t    = t;
          s.risk = 1. - 0.1 * t;
          s.grid = {{0.}, {2.}, {n}, {}};
          for (unsigned int k = 0; k < n; ++k)
            {
              const double r = 2. * (k + 0.5) / n;
              s.grid.values.push_back(density(r));
              s.points.push_back(r);
              s.weights.push_back(density(r) * 2. / n);
            }
          trajectory.push_back(s);
        }
      return trajectory;
    }

    model::ReducedLawTrajectory
    sgd(const RunKey &run) const override
    {
      ++sgd_calls;
      boost::random::mt19937 rng(run.seed * 7919u + run.N * 31u + run.d * 1000003u +
                                 unsigned(std::round(-std::log(run.epsilon) * 1000)));
      boost::random::uniform_01<double>          uniform;
      boost::random::normal_distribution<double> normal;
      model::ReducedLawTrajectory                trajectory;
      for (const double t : {0., 0.5, 1.})
        {
          model::ReducedLawSnapshot s;
          s.t                = t;
          s.self_interaction = 6.5 / run.N;
          s.risk             = 1. - 0.1 * t + s.self_interaction + normal(rng) / std::sqrt(double(run.N));
          // as if R_N were sampled: no record at t = 0.5
          s.risk_standard_error = t == 0.5 ? std::nan("") : 0.01 * (1. + t) / run.N;
          while (s.points.size() < run.N)
            {
              const double r = 2. * uniform(rng);
              if (uniform(rng) * 0.75 <= density(r))
                s.points.push_back(r + 5. * run.d * run.epsilon * t);
            }
          s.weights.assign(run.N, 1. / run.N);
          trajectory.push_back(s);
        }
      return trajectory;
    }
  };

  StudyParameters
  small_study()
  {
    StudyParameters p;
    p.widths     = {50, 200, 800};
    p.step_sizes = {1e-4, 1e-3, 1e-2};
    p.dimensions = {10, 20};
    p.seeds      = {1, 2, 3};
    p.plots      = false;
    return p;
  }

  SnapshotMetrics
  metrics()
  {
    return SnapshotMetrics({"r"}, TestFunctions({"min(r, 1)"}, "r", 1, "test"), 8);
  }

  /// The folders fresh_folder() made: removed when every test passed, kept
  /// (and named) for a look otherwise.
  class StudyFolders : public ::testing::Environment
  {
  public:
    std::vector<std::string> folders;

    void
    TearDown() override
    {
      if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
        return;
      for (const auto &folder : folders)
        if (::testing::UnitTest::GetInstance()->Passed())
          std::filesystem::remove_all(folder);
        else
          std::cout << "kept " << folder << std::endl;
    }
  };
  StudyFolders *const study_folders =
    static_cast<StudyFolders *>(::testing::AddGlobalTestEnvironment(new StudyFolders));

  std::string
  fresh_folder(const std::string &name)
  {
    const std::string folder = (std::filesystem::temp_directory_path() / ("mfdd_test_study_" + name)).string();
    study_folders->folders.push_back(folder);
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      {
        std::filesystem::remove_all(folder);
        std::filesystem::create_directories(folder);
      }
    MPI_Barrier(MPI_COMM_WORLD);
    return folder;
  }

  std::vector<StudyTable::Row>
  sorted_rows(const std::string &folder)
  {
    auto rows = StudyTable::read(folder + "/study.csv", metrics().names()).rows;
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
      return std::make_tuple(a.key.d, a.key.epsilon, a.key.N, a.key.seed) <
             std::make_tuple(b.key.d, b.key.epsilon, b.key.N, b.key.seed);
    });
    return rows;
  }
} // namespace

TEST(StudyDesign, CrossAndFullGrids)
{
  auto p = small_study();
  // cross: per d, 3 widths at eps_min + 2 more step sizes at N_max, times 3 seeds
  EXPECT_EQ(study_runs(p).size(), 2u * (3 + 2) * 3);
  p.full_grid = true;
  EXPECT_EQ(study_runs(p).size(), 2u * 3 * 3 * 3);
  // every run assigned exactly once, the costliest first
  const auto runs       = study_runs(p);
  const auto assignment = assign_runs(runs, 3, [](const RunKey &r) { return double(r.N) * r.d / r.epsilon; });
  std::size_t total     = 0;
  for (const auto &rank_runs : assignment)
    total += rank_runs.size();
  EXPECT_EQ(total, runs.size());
  EXPECT_EQ(assignment[0][0].N, 800u);
  EXPECT_EQ(assignment[0][0].d, 20u);
  EXPECT_DOUBLE_EQ(assignment[0][0].epsilon, 1e-4);
  // another cost model, another order: here the largest epsilon is the costliest
  const auto by_step = assign_runs(runs, 3, [](const RunKey &r) { return r.epsilon; });
  EXPECT_DOUBLE_EQ(by_step[0][0].epsilon, p.step_sizes.back());
}

TEST(StudyDesign, WidthSweepBelowTheEpsilonSweep)
{
  // N-sweep at 1e-5, epsilon-sweep 1e-4 ... 1e-2 at N = 800: per d 3 + 3 configurations
  auto p                = small_study();
  p.width_sweep_epsilon = 1e-5;
  const auto runs       = study_runs(p);
  EXPECT_EQ(runs.size(), 2u * (3 + 3) * 3);
  for (const auto &run : runs)
    EXPECT_TRUE(run.epsilon == 1e-5 || run.N == 800u) << run.N << ' ' << run.epsilon;
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const RunKey &r) { return r.epsilon == 1e-5; }), 2 * 3 * 3);
  p.full_grid = true;
  EXPECT_EQ(study_runs(p).size(), 2u * 3 * 4 * 3);
}

TEST(StudyRates, KnownExponentsFromASyntheticTable)
{
  // error = 2 N^{-1/2} (epsilon/1e-4)^{0.8} (d/10)^{0.1}, exactly: every fit
  // recovers its exponent with a zero-width interval.
  const auto p = small_study();
  StudyTable table{{"w1"}, {}, {}, {}};
  for (const auto &run : study_runs(p))
    table.rows.push_back({run,
                          {2. / std::sqrt(double(run.N)) * std::pow(run.epsilon / 1e-4, 0.8) *
                           std::pow(run.d / 10., 0.1)},
                          0.,
                          0.});
  const auto rates = fit_rates(table, p);
  ASSERT_EQ(rates.size(), 2u * 2 + 3);
  for (const auto &r : rates)
    {
      const double expected = r.sweep == "N" ? -0.5 : r.sweep == "epsilon" ? 0.8 : 0.1;
      EXPECT_NEAR(r.fit.exponent, expected, 1e-12) << r.sweep;
      EXPECT_NEAR(r.fit.half_width, 0., 1e-10);
      EXPECT_EQ(r.fit.n_points, r.sweep == "d" ? 6u : 9u);
      if (r.sweep == "d")
        {
          EXPECT_NEAR(r.ratio, std::pow(2., 0.1), 1e-12);
        }
    }
}

TEST(StudyRun, IndependentOfRankCountAndResumable)
{
  const auto p      = small_study();
  const auto folder = fresh_folder("ranks");
  SyntheticEvolutions evolutions;
  Study(p, metrics(), folder, 0).run(evolutions, MPI_COMM_WORLD);
  const auto parallel = sorted_rows(folder);
  // rank 0 rewrites study.csv below: nobody may still be reading it
  MPI_Barrier(MPI_COMM_WORLD);
  ASSERT_EQ(parallel.size(), study_runs(p).size());

  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      // the same study on one rank: identical numbers
      const std::string serial_folder = folder + "_serial";
      std::filesystem::remove_all(serial_folder);
      std::filesystem::create_directories(serial_folder);
      study_folders->folders.push_back(serial_folder);
      Study(p, metrics(), serial_folder, 0).run(evolutions, MPI_COMM_SELF);
      const auto serial = sorted_rows(serial_folder);
      ASSERT_EQ(serial.size(), parallel.size());
      for (std::size_t i = 0; i < serial.size(); ++i)
        {
          EXPECT_TRUE(serial[i].key == parallel[i].key);
          EXPECT_EQ(serial[i].values, parallel[i].values);
        }

      // W1 at the smallest step is the sampling error of N samples (the
      // shift is 5 d 1e-4 <= 0.01 at t = 1): E W1 ~ 0.3/sqrt(N) for this law.
      for (const auto &row : serial)
        if (row.key.epsilon == 1e-4)
          {
            EXPECT_LT(row.values[2], 3. / std::sqrt(double(row.key.N)));
            // risk gap without the self-interaction: the 1/sqrt(N) normal
            // fluctuation, sup over 3 times (below 4.5 sigma)
            EXPECT_LT(row.values[1], 4.5 / std::sqrt(double(row.key.N)));
          }
      // at eps = 1e-2, d = 20 the shift 5 d epsilon = 1 dominates W1 at t = 1
      for (const auto &row : serial)
        if (row.key.epsilon == 1e-2 && row.key.d == 20)
          {
            EXPECT_NEAR(row.values[2], 1., 0.1);
          }

      // interrupt: keep the header, 10 rows and half of the next line
      std::ifstream            in(folder + "/study.csv");
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);)
        lines.push_back(line);
      std::ofstream out(folder + "/study.csv");
      for (unsigned int i = 0; i <= 10; ++i)
        out << lines[i] << '\n';
      out << lines[11].substr(0, lines[11].size() / 2);
    }
  MPI_Barrier(MPI_COMM_WORLD);
  SyntheticEvolutions resumed;
  Study(p, metrics(), folder, 0).run(resumed, MPI_COMM_WORLD);
  const unsigned int calls = dealii::Utilities::MPI::sum(resumed.sgd_calls, MPI_COMM_WORLD);
  EXPECT_EQ(calls, study_runs(p).size() - 10);
  const auto after = sorted_rows(folder);
  // the next run starts with rank 0 rewriting study.csv
  MPI_Barrier(MPI_COMM_WORLD);
  ASSERT_EQ(after.size(), parallel.size());
  for (std::size_t i = 0; i < after.size(); ++i)
    EXPECT_EQ(after[i].values, parallel[i].values);

  // a finished study reruns nothing
  SyntheticEvolutions again;
  Study(p, metrics(), folder, 0).run(again, MPI_COMM_WORLD);
  EXPECT_EQ(dealii::Utilities::MPI::sum(again.sgd_calls, MPI_COMM_WORLD), 0u);

  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      for (const auto *file : {"study_summary.csv", "rates.csv", "report.md", "pde_error.csv"})
        EXPECT_TRUE(std::filesystem::exists(folder + "/" + file)) << file;
      // PDE error: two midpoint grids (h = 0.01 and h/2) of a density with
      // f'' = -3/2: F at the knots is off by the midpoint-rule error x h^2/16,
      // linear between knots, so W1 = O(h^2); 0.3 h^2 bounds both terms.
      std::ifstream pde(folder + "/pde_error.csv");
      std::string   header, row;
      std::getline(pde, header);
      std::getline(pde, row);
      EXPECT_EQ(header, "d,risk_gap,risk_gap_no_self,w1,test_gap_1,seconds");
      const auto fields = dealii::Utilities::split_string_list(row, ',');
      EXPECT_LT(std::stod(fields[3]), 3e-5);
      EXPECT_GT(std::stod(fields[3]), 1e-7);
      EXPECT_EQ(std::stod(fields[1]), 0.);
    }
}

TEST(StudyRates, KnownExponentsAtEveryErrorTime)
{
  // w1 = N^{p(t)} epsilon^{q(t)} with p = -1/2, -1/2, -1 and q = 0.8, 1, 0.5
  // for the sup, t = 0.5 and t = 1: each time gets its own exponents.
  const auto                p = small_study();
  const std::vector<double> times = {0.5, 1.};
  const double              n_exponent[] = {-0.5, -0.5, -1.}, eps_exponent[] = {0.8, 1., 0.5};
  StudyTable                table{{"w1"}, times, {}, {}};
  for (const auto &run : study_runs(p))
    {
      std::vector<double> values;
      for (unsigned int slot = 0; slot < 3; ++slot)
        values.push_back(std::pow(double(run.N), n_exponent[slot]) * std::pow(run.epsilon, eps_exponent[slot]));
      table.rows.push_back({run, values, 0., 0.});
    }
  EXPECT_EQ(table.columns(), (std::vector<std::string>{"N", "epsilon", "d", "seed", "w1", "w1@0.5", "w1@1",
                                                       "risk_standard_error", "seconds"}));
  const auto rates = fit_rates(table, p);
  ASSERT_EQ(rates.size(), 3u * (2 * 2 + 3));
  unsigned int by_slot[3] = {0, 0, 0};
  for (const auto &r : rates)
    {
      const unsigned int slot = std::isnan(r.t) ? 0 : r.t == 0.5 ? 1 : 2;
      ++by_slot[slot];
      const double expected = r.sweep == "N" ? n_exponent[slot] : r.sweep == "epsilon" ? eps_exponent[slot] : 0.;
      EXPECT_NEAR(r.fit.exponent, expected, 1e-12) << r.sweep << " at slot " << slot;
      EXPECT_FALSE(r.refused);
    }
  EXPECT_EQ(by_slot[0], 7u);
  EXPECT_EQ(by_slot[1], 7u);
  EXPECT_EQ(by_slot[2], 7u);
}

TEST(StudyRates, RefusedWhereThePdeErrorIsNotTenTimesSmaller)
{
  // w1 = N^{-1/2} >= 800^{-1/2} = 0.035 at the smallest step; a PDE error of
  // 0.0036 for d = 10 (just above a tenth) refuses its rates, 0.0034 for d = 20 does not.
  const auto p = small_study();
  StudyTable table{{"w1"}, {}, {}, {}};
  for (const auto &run : study_runs(p))
    table.rows.push_back({run, {1. / std::sqrt(double(run.N))}, 0., 0.});
  const std::vector<std::vector<double>> pde_error = {{10., 0.0036}, {20., 0.0034}};
  for (const auto &r : fit_rates(table, p, pde_error))
    {
      if (r.sweep == "N")
        {
          EXPECT_EQ(r.refused, r.d == 10) << r.d;
          EXPECT_NEAR(r.smallest_gap, 1. / std::sqrt(800.), 1e-15);
          EXPECT_EQ(std::isnan(r.fit.exponent), r.d == 10);
        }
      if (r.sweep == "d") // takes the larger PDE error of the two d
        {
          EXPECT_EQ(r.refused, r.N == 800);
        }
    }
}

namespace
{
  std::vector<std::vector<std::string>>
  csv_rows(const std::string &file)
  {
    std::ifstream                         in(file);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(in, line);)
      rows.push_back(dealii::Utilities::split_string_list(line, ','));
    return rows;
  }
} // namespace

TEST(StudyRun, ErrorTimes)
{
  auto p        = small_study();
  p.error_times = {0.5, 1.};
  const auto          folder = fresh_folder("times");
  SyntheticEvolutions evolutions;
  Study(p, metrics(), folder, 0).run(evolutions, MPI_COMM_WORLD);

  // a time that is not an output time: an InputError on every rank
  auto wrong        = small_study();
  wrong.error_times = {0.3};
  EXPECT_THROW(Study(wrong, metrics(), fresh_folder("wrong_time"), 0).run(evolutions, MPI_COMM_WORLD),
               io::InputError);

  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    return;
  const auto table =
    StudyTable::read(folder + "/study.csv", metrics().names(), p.error_times, metrics().difference_names());
  ASSERT_EQ(table.rows.size(), study_runs(p).size());
  const std::size_t n_metrics = metrics().names().size(); // risk_gap, risk_gap_no_self, w1, test_gap_1
  for (const auto &row : table.rows)
    {
      ASSERT_EQ(row.values.size(), 3 * n_metrics);
      for (std::size_t m = 0; m < n_metrics; ++m)
        {
          // the sup over t = 0, 0.5, 1 bounds the values at 0.5 and 1
          EXPECT_GE(row.values[m], row.values[n_metrics + m]);
          EXPECT_GE(row.values[m], row.values[2 * n_metrics + m]);
        }
      // the largest over the records at t = 0 and 1
      EXPECT_DOUBLE_EQ(row.risk_standard_error, 0.02 / row.key.N);
      // signed differences at t = 0.5 and 1: the risk's without self-interaction
      // is the synthetic fluctuation, the gap its absolute value
      ASSERT_EQ(row.differences.size(), 2 * metrics().difference_names().size());
      for (std::size_t k = 1; k <= 2; ++k)
        {
          EXPECT_DOUBLE_EQ(std::abs(row.differences[(k - 1) * 2]), row.values[k * n_metrics + 1]);
          EXPECT_DOUBLE_EQ(std::abs(row.differences[(k - 1) * 2 + 1]), row.values[k * n_metrics + 3]);
        }
      // W1 at eps = 1e-2, d = 20 is the shift 5 d epsilon t: 0.5 at t = 0.5, 1 at t = 1
      if (row.key.epsilon == 1e-2 && row.key.d == 20)
        {
          EXPECT_NEAR(row.values[n_metrics + 2], 0.5, 0.1);
          EXPECT_NEAR(row.values[2 * n_metrics + 2], 1., 0.1);
        }
    }

  // one line per signed quantity, time and configuration
  EXPECT_EQ(csv_rows(folder + "/bias_fluctuation.csv").size(), 1 + 2 * 2 * summarize(table).size());

  const auto by_time = csv_rows(folder + "/study_summary_by_time.csv");
  ASSERT_FALSE(by_time.empty());
  EXPECT_EQ(by_time[0][0], "t");
  EXPECT_EQ(by_time.size(), 1 + 2 * summarize(table).size());

  const auto rates = csv_rows(folder + "/rates.csv");
  EXPECT_EQ(rates[0][1], "t");
  unsigned int n_sup = 0, n_half = 0, n_one = 0;
  for (std::size_t i = 1; i < rates.size(); ++i)
    {
      n_sup += rates[i][1] == "sup";
      n_half += rates[i][1] == "0.5";
      n_one += rates[i][1] == "1";
    }
  EXPECT_EQ(n_sup, n_half);
  EXPECT_EQ(n_sup, n_one);
  EXPECT_EQ(n_sup, (rates.size() - 1) / 3);

  const auto pde = csv_rows(folder + "/pde_error.csv");
  EXPECT_EQ(pde[0].size(), 1 + 3 * n_metrics + 1);
  EXPECT_EQ(pde[0][1 + n_metrics + 2], "w1@0.5");

  std::ifstream report(folder + "/report.md");
  const std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("## The risk gap: N^(-1/2) fluctuations or a 1/N law"), std::string::npos);
  EXPECT_NE(text.find("| w1 | 0.5 | N |"), std::string::npos);

}

TEST(StudyRun, EpsilonSweepOnTheWidthFloor)
{
  // Step sizes whose shift 5 d epsilon t is below the sampling noise at
  // N = 800 (D epsilon = 1e-5, 2e-5 < 1/N): the epsilon-exponents fail, and
  // the report says why.
  auto p       = small_study();
  p.step_sizes = {1e-6, 1e-5, 1e-4};
  const auto          folder = fresh_folder("floor");
  SyntheticEvolutions evolutions;
  Study(p, metrics(), folder, 0).run(evolutions, MPI_COMM_WORLD);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    return;
  std::ifstream      report(folder + "/report.md");
  unsigned int       failed = 0;
  for (std::string line; std::getline(report, line);)
    if (line.rfind("* FAIL", 0) == 0 && line.find("exponent in epsilon") != std::string::npos)
      {
        ++failed;
        const std::string D_epsilon = line.find("d = 10:") != std::string::npos ? "1e-05" : "2e-05";
        EXPECT_NE(line.find("on the width floor: D epsilon = " + D_epsilon + " < 1/N = 0.0013"), std::string::npos)
          << line;
      }
  EXPECT_GT(failed, 0u);
}

namespace
{
  // Fails one SGD run, or the PDE of one d: every rank must get the RunError.
  class FailingEvolutions : public SyntheticEvolutions
  {
  public:
    bool fail_pde = false;
    model::ReducedLawTrajectory
    pde(unsigned int d, unsigned int level) const override
    {
      if (fail_pde && d == 20)
        throw io::RunError("PDE blow-up");
      return SyntheticEvolutions::pde(d, level);
    }
    model::ReducedLawTrajectory
    sgd(const RunKey &run) const override
    {
      if (run.N == 800 && run.d == 20 && run.seed == 2 && run.epsilon == 1e-4)
        throw io::RunError("NaN weights");
      return SyntheticEvolutions::sgd(run);
    }
  };
} // namespace

TEST(StudyRun, AFailureOnOneRankStopsEveryRank)
{
  const auto        p = small_study();
  FailingEvolutions evolutions;
  const auto        folder = fresh_folder("failure");
  EXPECT_THROW(Study(p, metrics(), folder, 0).run(evolutions, MPI_COMM_WORLD), io::RunError);
  // the other runs that finished are kept (at least those before the failure)
  const auto kept = sorted_rows(folder);
  EXPECT_GT(kept.size(), 0u);
  EXPECT_LT(kept.size(), study_runs(p).size());

  evolutions.fail_pde = true;
  EXPECT_THROW(Study(p, metrics(), fresh_folder("pde_failure"), 0).run(evolutions, MPI_COMM_WORLD), io::RunError);
}

TEST(StudyRun, ResumedWithAnotherRunList)
{
  // A study extended by a width-sweep step below its step sizes and by one
  // more step size keeps every finished run it still needs, runs only the new
  // ones, and reports on its own runs only (not the dropped 1e-2 sweep).
  auto       p      = small_study();
  const auto folder = fresh_folder("extended");
  SyntheticEvolutions first;
  Study(p, metrics(), folder, 0).run(first, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  auto q                = p;
  q.step_sizes          = {1e-4, 3e-4, 1e-3};
  q.width_sweep_epsilon = 1e-5;
  SyntheticEvolutions second;
  Study(q, metrics(), folder, 0).run(second, MPI_COMM_WORLD);
  const unsigned int calls = dealii::Utilities::MPI::sum(second.sgd_calls, MPI_COMM_WORLD);
  // new: every N at 1e-5 and 3e-4 at N = 800, for 2 d and 3 seeds
  EXPECT_EQ(calls, 2u * (3 + 1) * 3);
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    return;
  EXPECT_EQ(sorted_rows(folder).size(), study_runs(p).size() + calls);
  std::ifstream summary(folder + "/study_summary.csv");
  std::string   line;
  std::getline(summary, line);
  unsigned int configurations = 0;
  for (; std::getline(summary, line); ++configurations)
    EXPECT_EQ(line.find(",0.01,"), std::string::npos) << line;
  EXPECT_EQ(configurations, 2u * (3 + 3));
  // the epsilon-sweep's rate is fitted to its three step sizes only
  std::ifstream rates(folder + "/rates.csv");
  std::getline(rates, line);
  bool found = false;
  for (; std::getline(rates, line);)
    if (line.rfind("w1,sup,epsilon,10,", 0) == 0)
      {
        found = true;
        std::vector<std::string> fields;
        std::istringstream       in(line);
        for (std::string field; std::getline(in, field, ',');)
          fields.push_back(field);
        ASSERT_GT(fields.size(), 10u);
        EXPECT_EQ(fields[10], "9") << line; // n_points: 3 step sizes x 3 seeds
      }
  EXPECT_TRUE(found);
}

TEST(StudyDefinition, RefusesADifferentStudy)
{
  const auto folder = fresh_folder("definition");
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    return;
  EXPECT_NO_THROW(check_study_definition(folder, "A"));
  write_study_definition(folder, "A");
  EXPECT_NO_THROW(check_study_definition(folder, "A"));
  try
    {
      check_study_definition(folder, "B");
      FAIL() << "a different study was accepted";
    }
  catch (const io::InputError &e)
    {
      EXPECT_NE(std::string(e.what()).find("start fresh"), std::string::npos);
    }
  // the run list may change: a resumed study keeps what it still needs
  const std::string study_a = "subsection Problem\n  set Dimension d = 40\nend\nsubsection Study\n"
                              "  set Seeds = 1, 2\n  set Error times = 0.5\n  set Widths N = 100\nend\n";
  write_study_definition(folder, study_a);
  std::string more_seeds = study_a, other_time = study_a, other_d = study_a;
  more_seeds.replace(more_seeds.find("1, 2"), 4, "1, 2, 3");
  other_time.replace(other_time.find("0.5"), 3, "1");
  other_d.replace(other_d.find("40"), 2, "20");
  EXPECT_NO_THROW(check_study_definition(folder, more_seeds));
  EXPECT_THROW(check_study_definition(folder, other_time), io::InputError);
  EXPECT_THROW(check_study_definition(folder, other_d), io::InputError);

  std::filesystem::remove(folder + "/study_definition.prm");
  std::ofstream(folder + "/study.csv") << "N,epsilon,d,seed\n";
  EXPECT_THROW(check_study_definition(folder, "A"), io::InputError);
}

TEST(Pack, RoundTrip)
{
  SyntheticEvolutions e;
  auto                trajectory = e.sgd({10, 1e-3, 4, 1});
  trajectory[1].grid = {{0., 1.}, {2., 3.}, {2, 1}, {0.5, 0.25}};
  const auto back    = unpack(pack(trajectory));
  ASSERT_EQ(back.size(), trajectory.size());
  for (std::size_t k = 0; k < back.size(); ++k)
    {
      EXPECT_EQ(back[k].t, trajectory[k].t);
      EXPECT_EQ(back[k].risk, trajectory[k].risk);
      EXPECT_EQ(back[k].points, trajectory[k].points);
      EXPECT_EQ(back[k].grid.n, trajectory[k].grid.n);
      EXPECT_EQ(back[k].grid.values, trajectory[k].grid.values);
    }
}

TEST(StudyRates, BiasAndFluctuationOfSignedDifferences)
{
  // q = b(t)/N (epsilon/1e-4) + sigma(t) N^{-1/2} (epsilon/1e-4)^{1/2} z with
  // z = -1, 0, 1 over the seeds: seed mean b/N, seed standard deviation
  // sigma/sqrt(N), exactly; b < 0 at t = 0.5 (the bias is fitted as |mean|).
  const auto                p     = small_study();
  const std::vector<double> times = {0.5, 1.};
  const double              b[]   = {-2., 3.}, sigma[] = {0.01, 0.02}, z[] = {-1., 0., 1.};
  StudyTable                table{{"w1"}, times, {"q_difference"}, {}};
  for (const auto &run : study_runs(p))
    {
      std::vector<double> differences;
      const double        e = run.epsilon / 1e-4;
      for (unsigned int k = 0; k < 2; ++k)
        differences.push_back(b[k] / run.N * e + sigma[k] / std::sqrt(double(run.N)) * std::sqrt(e) * z[run.seed - 1]);
      table.rows.push_back({run, {1., 1., 1.}, 0., 0., differences});
    }
  EXPECT_EQ(table.columns(),
            (std::vector<std::string>{"N", "epsilon", "d", "seed", "w1", "w1@0.5", "w1@1", "q_difference@0.5",
                                      "q_difference@1", "risk_standard_error", "seconds"}));

  const auto parts = split_bias_fluctuation(table);
  ASSERT_EQ(parts.size(), 2 * summarize(table).size());
  for (const auto &part : parts)
    {
      const unsigned int k = part.t == 0.5 ? 0 : 1;
      const double       e = part.epsilon / 1e-4;
      EXPECT_NEAR(part.bias.mean, b[k] / part.N * e, 1e-15);
      EXPECT_NEAR(part.fluctuation.std_dev, sigma[k] / std::sqrt(double(part.N)) * std::sqrt(e), 1e-15);
      EXPECT_LT(part.fluctuation.lower, part.fluctuation.std_dev);
      EXPECT_GT(part.fluctuation.upper, part.fluctuation.std_dev);
    }

  // q_difference belongs to the gap q_gap; the PDE's error of it at t = 1 is
  // 3.8e-4 for d = 10, just above a tenth of the smallest bias of both sweeps
  // (3/800 at N = 800, epsilon = 1e-4), and 3.7e-4 for d = 20, just below.
  table.metrics = {"q_gap"};
  const std::vector<std::vector<double>> pde_error = {{10., 0., 0., 3.8e-4}, {20., 0., 0., 3.7e-4}};
  const auto                             rates     = fit_bias_fluctuation_rates(table, p, pde_error);
  ASSERT_EQ(rates.size(), 2u * 2u * 2u); // times x d x sweeps
  for (const auto &r : rates)
    {
      EXPECT_EQ(r.bias_refused, r.t == 1. && r.d == 10) << r.sweep << " at t = " << r.t << ", d = " << r.d;
      if (r.bias_refused)
        EXPECT_TRUE(std::isnan(r.bias.exponent));
      else
        EXPECT_NEAR(r.bias.exponent, r.sweep == "N" ? -1. : 1., 1e-10) << r.sweep << " at t = " << r.t;
      EXPECT_NEAR(r.fluctuation.exponent, r.sweep == "N" ? -0.5 : 0.5, 1e-10) << r.sweep << " at t = " << r.t;
      EXPECT_EQ(r.points, 3u);
      EXPECT_EQ(r.bias_resolved, 3u);
    }
}

TEST(Statistics, PowerLawOfStandardDeviations)
{
  // 400 normal values per x with standard deviation 0.3 x^(-1/2): the fitted
  // exponent within its interval of -1/2, the interval about 0.1 wide.
  boost::random::mt19937                     rng(17);
  boost::random::normal_distribution<double> normal;
  std::vector<double>                        x, y;
  for (const double xi : {100., 400., 1600., 6400.})
    for (unsigned int i = 0; i < 400; ++i)
      {
        x.push_back(xi);
        y.push_back(5. + 0.3 / std::sqrt(xi) * normal(rng));
      }
  const auto fit = fit_power_law_of_std_devs(x, y);
  EXPECT_EQ(fit.n_points, 1600u);
  EXPECT_LT(std::abs(fit.exponent + 0.5), fit.half_width);
  EXPECT_GT(fit.half_width, 0.02);
  EXPECT_LT(fit.half_width, 0.1);

  const auto s = std_dev_with_interval({1., 2., 3., 4.});
  EXPECT_NEAR(s.std_dev, std::sqrt(5. / 3.), 1e-15);
  // chi^2_{3} quantiles 0.2158 and 9.348: s sqrt(3/9.348) and s sqrt(3/0.2158)
  EXPECT_NEAR(s.lower, s.std_dev * std::sqrt(3. / 9.348404), 1e-5);
  EXPECT_NEAR(s.upper, s.std_dev * std::sqrt(3. / 0.2157953), 1e-5);
}
