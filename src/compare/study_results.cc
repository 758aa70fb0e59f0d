// The study's results: study.csv read back, the summary per configuration,
// the fitted rates, and the files, plots and report that write_results makes.
#include "study_files.h"

#include <mfdd/compare/study.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/plot_script.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

namespace mfdd::compare
{
  using namespace internal;

  namespace
  {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    // Metrics the acceptance criteria speak about: the unbiased ones.
    bool
    is_clean_metric(const std::string &name)
    {
      return name.rfind("w1", 0) == 0 || name == "sliced_w1" || name.rfind("test_gap", 0) == 0 ||
             name == "risk_gap_no_self";
    }
  } // namespace

  std::vector<std::string>
  StudyTable::columns() const
  {
    std::vector<std::string> c = {"N", "epsilon", "d", "seed"};
    c.insert(c.end(), metrics.begin(), metrics.end());
    c.push_back("seconds");
    return c;
  }


  StudyTable
  StudyTable::read(const std::string &filename, const std::vector<std::string> &metrics)
  {
    StudyTable table{metrics, {}};
    for (const auto &v : read_numeric_csv(filename, table.columns()))
      {
        Row row{{unsigned(v[0]), v[1], unsigned(v[2]), unsigned(v[3])},
                std::vector<double>(v.begin() + 4, v.end() - 1),
                v.back()};
        if (!table.has(row.key))
          table.rows.push_back(row);
      }
    return table;
  }

  bool
  StudyTable::has(const RunKey &key) const
  {
    return std::any_of(rows.begin(), rows.end(), [&](const Row &r) { return r.key == key; });
  }

  std::vector<ConfigurationSummary>
  summarize(const StudyTable &table)
  {
    std::vector<ConfigurationSummary> result;
    std::vector<std::vector<std::vector<double>>> values; // [configuration][metric][seed]
    for (const auto &row : table.rows)
      {
        std::size_t c = 0;
        while (c < result.size() && !(result[c].N == row.key.N && result[c].d == row.key.d &&
                                      same_step(result[c].epsilon, row.key.epsilon)))
          ++c;
        if (c == result.size())
          {
            result.push_back({row.key.N, row.key.epsilon, row.key.d, {}});
            values.emplace_back(table.metrics.size());
          }
        for (std::size_t m = 0; m < table.metrics.size(); ++m)
          values[c][m].push_back(row.values[m]);
      }
    for (std::size_t c = 0; c < result.size(); ++c)
      for (const auto &v : values[c])
        result[c].metrics.push_back(mean_with_interval(v));
    std::vector<std::size_t> order(result.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const auto &x = result[a], &y = result[b];
      return std::make_tuple(x.d, x.epsilon, x.N) < std::make_tuple(y.d, y.epsilon, y.N);
    });
    std::vector<ConfigurationSummary> sorted;
    for (const auto i : order)
      sorted.push_back(result[i]);
    return sorted;
  }

  std::vector<Rate>
  fit_rates(const StudyTable &table, const StudyParameters &p)
  {
    std::vector<Rate> rates;
    const double      eps_min = p.smallest_step();
    const unsigned    n_max   = p.largest_width();
    // Collects (x, value) of metric m over the rows that @p select accepts.
    const auto collect = [&](std::size_t m, auto select, auto x_of) {
      std::pair<std::vector<double>, std::vector<double>> xy;
      for (const auto &row : table.rows)
        if (select(row.key))
          {
            xy.first.push_back(x_of(row.key));
            xy.second.push_back(row.values[m]);
          }
      return xy;
    };
    const auto mean_at = [&](std::size_t m, unsigned N, double epsilon, unsigned d) {
      std::vector<double> v;
      for (const auto &row : table.rows)
        if (row.key.N == N && row.key.d == d && same_step(row.key.epsilon, epsilon))
          v.push_back(row.values[m]);
      return mean_with_interval(v).mean;
    };

    for (std::size_t m = 0; m < table.metrics.size(); ++m)
      {
        const std::string &name = table.metrics[m];
        for (const unsigned d : p.dimensions)
          {
            if (p.widths.size() > 1)
              {
                const auto [x, y] = collect(
                  m, [&](const RunKey &k) { return k.d == d && same_step(k.epsilon, eps_min); },
                  [](const RunKey &k) { return double(k.N); });
                rates.push_back({name, "N", d, 0, eps_min, fit_power_law_of_means(x, y), nan});
              }
            if (p.step_sizes.size() > 1)
              {
                const auto [x, y] = collect(
                  m, [&](const RunKey &k) { return k.d == d && k.N == n_max; },
                  [](const RunKey &k) { return k.epsilon; });
                rates.push_back({name, "epsilon", d, n_max, 0., fit_power_law_of_means(x, y), nan});
              }
          }
        if (p.dimensions.size() > 1)
          for (const unsigned N : p.widths)
            {
              const auto [x, y] = collect(
                m, [&](const RunKey &k) { return k.N == N && same_step(k.epsilon, eps_min); },
                [](const RunKey &k) { return double(k.d); });
              const double ratio = mean_at(m, N, eps_min, p.dimensions.back()) /
                                   mean_at(m, N, eps_min, p.dimensions.front());
              rates.push_back({name, "d", 0, N, eps_min, fit_power_law_of_means(x, y), ratio});
            }
      }
    return rates;
  }

  std::vector<std::string>
  Study::write_results(const StudyTable &table, const std::vector<std::vector<double>> &pde_error) const
  {
    const auto &names   = table.metrics;
    const auto  summary = summarize(table);
    {
      std::vector<std::string> columns = {"N", "epsilon", "d", "D", "n_seeds"};
      for (const auto &m : names)
        {
          columns.push_back(m + "_mean");
          columns.push_back(m + "_ci95");
        }
      std::ofstream out(path("study_summary.csv"));
      out << csv_header(columns);
      for (const auto &c : summary)
        {
          // Seeds with a value of some metric (the risk gaps are NaN where R_N was not recorded).
          unsigned int n_seeds = 0;
          for (const auto &m : c.metrics)
            n_seeds = std::max(n_seeds, m.n);
          std::vector<double> v = {double(c.N), c.epsilon, double(c.d), double(c.d + extra_dimension),
                                   double(n_seeds)};
          for (const auto &m : c.metrics)
            {
              v.push_back(m.mean);
              v.push_back(m.half_width);
            }
          out << csv_line(v);
        }
    }

    const auto rates = fit_rates(table, parameters);
    {
      std::ofstream out(path("rates.csv"));
      out << "metric,sweep,d,N,epsilon,exponent,ci95_half_width,ci95_lower,ci95_upper,n_points,"
             "ratio_largest_to_smallest_d\n";
      for (const auto &r : rates)
        out << r.metric << ',' << r.sweep << ',' << r.d << ',' << r.N << ',' << number(r.epsilon) << ','
            << number(r.fit.exponent) << ',' << number(r.fit.half_width) << ','
            << number(r.fit.exponent - r.fit.half_width) << ',' << number(r.fit.exponent + r.fit.half_width)
            << ',' << r.fit.n_points << ',' << number(r.ratio) << '\n';
    }

    // The checks of the width and step-size laws (doc/theory.md §5).
    std::vector<std::string> checks;
    const auto check = [&](bool pass, const std::string &what) {
      checks.push_back(std::string(pass ? "PASS" : "FAIL") + ": " + what);
    };
    const auto with_ci = [](const PowerLawFit &f) {
      return number(f.exponent, 3) + " +- " + number(f.half_width, 2);
    };
    for (const auto &r : rates)
      {
        if (!is_clean_metric(r.metric))
          continue;
        if (r.sweep == "N")
          check(r.fit.exponent >= -0.65 && r.fit.exponent <= -0.35,
                r.metric + ", d = " + std::to_string(r.d) + ": exponent in N " + with_ci(r.fit) +
                  " within [-0.65, -0.35]");
        else if (r.sweep == "epsilon")
          check(r.fit.exponent >= 0.35, r.metric + ", d = " + std::to_string(r.d) + ": exponent in epsilon " +
                                          with_ci(r.fit) + " >= 0.35");
        else if (r.sweep == "d" && r.N == parameters.dimension_check_width())
          check(r.ratio <= 1.5, r.metric + ", N = " + std::to_string(r.N) + ": error at d = " +
                                  std::to_string(parameters.dimensions.back()) + " / error at d = " +
                                  std::to_string(parameters.dimensions.front()) + " = " + number(r.ratio, 3) +
                                  " <= 1.5");
      }
    // The PDE's own error against the smallest gap measured with the same d.
    for (const auto &row : pde_error)
      for (std::size_t m = 0; m < names.size(); ++m)
        {
          if (names[m] == "risk_gap_no_self")
            continue; // equal to risk_gap between two PDE solves
          double smallest = std::numeric_limits<double>::infinity();
          for (const auto &c : summary)
            if (c.d == unsigned(row[0]) && !std::isnan(c.metrics[m].mean))
              smallest = std::min(smallest, c.metrics[m].mean);
          if (std::isinf(smallest))
            continue;
          check(10. * row[1 + m] <= smallest, names[m] + ", d = " + number(row[0]) + ": PDE self-convergence error " +
                                                number(row[1 + m], 3) + " at least 10x below the smallest gap " +
                                                number(smallest, 3));
        }

    {
      std::ofstream out(path("report.md"));
      out << "# Convergence of SGD to the distributional dynamics\n\n"
          << "Widths N: ";
      for (const auto N : parameters.widths)
        out << N << ' ';
      out << "\nStep sizes epsilon: ";
      for (const auto e : parameters.step_sizes)
        out << e << ' ';
      out << "\nDimensions d: ";
      for (const auto d : parameters.dimensions)
        out << d << ' ';
      out << "(D = d + " << extra_dimension << ")\nSeeds per configuration: " << parameters.seeds.size()
          << "\n\nEvery error is the sup over the output times t <= T of the gap between one SGD run "
             "and the PDE, averaged over seeds (study_summary.csv: mean and 95% Student-t interval). "
             "Exponents are slopes of log(error) against log(N), log(epsilon) or log(d), fitted by "
             "weighted least squares to the seed means, each weighted by its spread over the seeds; "
             "95% intervals are t_{0.975, seeds-1} standard errors, widened when the means scatter "
             "about the line more than their error bars allow (rates.csv).\n\n"
          << "What MMM19 Theorem 1 and the slide's bound sqrt(1/N v D epsilon) predict:\n\n"
          << "* in N (at the smallest epsilon): exponent -1/2 for W1 and the test functions, and for the "
             "risk gap once the exactly known self-interaction term is removed (risk_gap_no_self). The "
             "raw risk gap carries a bias b/N from the diagonal terms of R_N and can show an exponent "
             "near -1 at small N.\n"
          << "* in epsilon (at the largest N): at least 1/2 (the theorem's sqrt(epsilon)); a bias of order "
             "D epsilon shows as an exponent near 1.\n"
          << "* in d (at fixed N and the smallest epsilon): none. The width term is dimension-free, so "
             "the error should not grow with d (exponent near 0, ratio largest-d/smallest-d near 1) as "
             "long as D epsilon stays small.\n\n"
          << "## Measured exponents\n\n| metric | sweep | at | exponent | 95% interval | theorem |\n"
          << "|---|---|---|---|---|---|\n";
      for (const auto &r : rates)
        {
          std::string at, theorem;
          if (r.sweep == "N")
            {
              at      = "d = " + std::to_string(r.d) + ", epsilon = " + number(r.epsilon, 3);
              theorem = r.metric == "risk_gap" ? "-1/2 (-1 while the self-interaction dominates)" : "-1/2";
            }
          else if (r.sweep == "epsilon")
            {
              at      = "d = " + std::to_string(r.d) + ", N = " + std::to_string(r.N);
              theorem = ">= 1/2 (1 for a D epsilon bias)";
            }
          else
            {
              at      = "N = " + std::to_string(r.N) + ", epsilon = " + number(r.epsilon, 3) +
                   ", ratio " + number(r.ratio, 3);
              theorem = "0 (dimension-free)";
            }
          out << "| " << r.metric << " | " << r.sweep << " | " << at << " | " << number(r.fit.exponent, 3) << " | ["
              << number(r.fit.exponent - r.fit.half_width, 3) << ", " << number(r.fit.exponent + r.fit.half_width, 3)
              << "] | " << theorem << " |\n";
        }
      out << "\n## The PDE's own error\n\nSup over t of the gap between the PDE at the study's resolution "
             "and at a finer one (pde_error.csv), per d:\n\n| d |";
      for (const auto &m : names)
        out << ' ' << m << " |";
      out << "\n|---|";
      for (std::size_t m = 0; m < names.size(); ++m)
        out << "---|";
      out << '\n';
      for (const auto &row : pde_error)
        {
          out << "| " << number(row[0]) << " |";
          for (std::size_t m = 1; m < row.size(); ++m)
            out << ' ' << number(row[m], 3) << " |";
          out << '\n';
        }
      out << "\n## Checks of the width and step-size laws\n\n";
      for (const auto &c : checks)
        out << "* " << c << '\n';
      out << "\nPlots: error_vs_N.png, error_vs_epsilon.png, error_vs_D_epsilon.png.\n";
    }

    if (parameters.plots)
      {
        const std::string script = io::find_plot_script("plot_study.py");
        int               status = -1;
        if (!script.empty())
          status = std::system(("/usr/bin/python3 '" + script + "' '" + folder + "'").c_str());
        if (status != 0)
          std::cerr << "study: warning: the plots were not made (" +
                         (script.empty() ? std::string("scripts/plot_study.py not found") :
                                           "python3 " + script + " failed") +
                         "); run /usr/bin/python3 scripts/plot_study.py " + folder + " by hand"
                    << std::endl;
      }
    return checks;
  }
} // namespace mfdd::compare
