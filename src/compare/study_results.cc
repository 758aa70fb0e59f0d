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

  } // namespace

  std::vector<std::string>
  study_value_names(const std::vector<std::string> &metrics, const std::vector<double> &times)
  {
    std::vector<std::string> names = metrics;
    for (const double t : times)
      for (const auto &m : metrics)
        names.push_back(m + "@" + number(t));
    return names;
  }

  std::vector<std::string>
  StudyTable::columns() const
  {
    std::vector<std::string> c = {"N", "epsilon", "d", "seed"};
    const auto               values = study_value_names(metrics, times);
    c.insert(c.end(), values.begin(), values.end());
    for (const double t : times)
      for (const auto &q : differences)
        c.push_back(q + "@" + number(t));
    c.push_back("risk_standard_error");
    c.push_back("seconds");
    return c;
  }


  StudyTable
  StudyTable::read(const std::string              &filename,
                   const std::vector<std::string> &metrics,
                   const std::vector<double>      &times,
                   const std::vector<std::string> &differences)
  {
    StudyTable        table{metrics, times, differences, {}};
    const std::size_t n_values = metrics.size() * (1 + times.size());
    for (const auto &v : read_numeric_csv(filename, table.columns()))
      {
        Row row{{unsigned(v[0]), v[1], unsigned(v[2]), unsigned(v[3])},
                std::vector<double>(v.begin() + 4, v.begin() + 4 + n_values),
                v[v.size() - 2],
                v.back(),
                std::vector<double>(v.begin() + 4 + n_values, v.end() - 2)};
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
    for (const auto &[key, rows] : rows_by_configuration(table))
      {
        ConfigurationSummary summary{key.N, key.epsilon, key.d, {}};
        for (std::size_t m = 0; m < rows.front()->values.size(); ++m)
          {
            std::vector<double> seeds;
            for (const auto *row : rows)
              seeds.push_back(row->values[m]);
            summary.metrics.push_back(mean_with_interval(seeds));
          }
        result.push_back(summary);
      }
    return result;
  }

  std::vector<Rate>
  fit_rates(const StudyTable &table, const StudyParameters &p, const std::vector<std::vector<double>> &pde_error)
  {
    std::vector<Rate> rates;
    const double      eps_min   = p.width_sweep_step();
    const unsigned    n_max     = p.largest_width();
    const std::size_t n_metrics = table.metrics.size();
    // Collects (x, value) of value v over the rows that @p select accepts.
    const auto collect = [&](std::size_t v, auto select, auto x_of) {
      std::pair<std::vector<double>, std::vector<double>> xy;
      for (const auto &row : table.rows)
        if (select(row.key))
          {
            xy.first.push_back(x_of(row.key));
            xy.second.push_back(row.values[v]);
          }
      return xy;
    };
    const auto mean_at = [&](std::size_t v, unsigned N, double epsilon, unsigned d) {
      std::vector<double> values;
      for (const auto &row : table.rows)
        if (row.key.N == N && row.key.d == d && same_step(row.key.epsilon, epsilon))
          values.push_back(row.values[v]);
      return mean_with_interval(values).mean;
    };
    const auto pde_error_of = [&](std::size_t v, unsigned d) { return pde_error_of_value(table, pde_error, v, d); };
    // Fits (x, y) into @p rate, or refuses it when the PDE is not 10x more accurate than every seed mean.
    const auto fit = [&](Rate rate, const std::vector<double> &x, const std::vector<double> &y, double pde) {
      std::map<double, std::vector<double>> by_x;
      for (std::size_t i = 0; i < x.size(); ++i)
        by_x[x[i]].push_back(y[i]);
      double smallest = std::numeric_limits<double>::infinity();
      for (const auto &[xi, values] : by_x)
        {
          const double mean = mean_with_interval(values).mean;
          if (!std::isnan(mean))
            smallest = std::min(smallest, mean);
        }
      rate.pde_error    = pde;
      rate.smallest_gap = smallest;
      rate.refused      = std::isfinite(smallest) && !(10. * pde <= smallest);
      rate.fit          = rate.refused ? PowerLawFit{nan, nan, nan, 0} : fit_power_law_of_means(x, y);
      rates.push_back(rate);
    };

    for (std::size_t slot = 0; slot <= table.times.size(); ++slot)
      for (std::size_t m = 0; m < n_metrics; ++m)
        {
          const std::size_t  v    = slot * n_metrics + m;
          const double       t    = slot == 0 ? nan : table.times[slot - 1];
          const std::string &name = table.metrics[m];
          for (const unsigned d : p.dimensions)
            {
              if (p.widths.size() > 1)
                {
                  const auto [x, y] = collect(
                    v, [&](const RunKey &k) { return in_width_sweep(p, k, d); },
                    [](const RunKey &k) { return double(k.N); });
                  fit({name, t, "N", d, 0, eps_min, {}, nan}, x, y, pde_error_of(v, d));
                }
              if (p.step_sizes.size() > 1)
                {
                  const auto [x, y] = collect(
                    v, [&](const RunKey &k) { return in_step_sweep(p, k, d); },
                    [](const RunKey &k) { return k.epsilon; });
                  fit({name, t, "epsilon", d, n_max, 0., {}, nan}, x, y, pde_error_of(v, d));
                }
            }
          if (p.dimensions.size() > 1)
            for (const unsigned N : p.widths)
              {
                const auto [x, y] = collect(
                  v, [&](const RunKey &k) { return k.N == N && same_step(k.epsilon, eps_min); },
                  [](const RunKey &k) { return double(k.d); });
                const double ratio =
                  mean_at(v, N, eps_min, p.dimensions.back()) / mean_at(v, N, eps_min, p.dimensions.front());
                double pde = 0.;
                for (const unsigned d : p.dimensions)
                  pde = std::max(pde, pde_error_of(v, d));
                fit({name, t, "d", 0, N, eps_min, {}, ratio}, x, y, pde);
              }
        }
    return rates;
  }

  std::vector<std::string>
  Study::write_results(const StudyTable &table, const std::vector<std::vector<double>> &pde_error) const
  {
    const auto       &names     = table.metrics;
    const std::size_t n_metrics = names.size();
    const auto        summary   = summarize(table);
    // Seeds with a value of some metric (the risk gaps are NaN where R_N was not recorded).
    const auto n_seeds = [](const ConfigurationSummary &c) {
      unsigned int n = 0;
      for (const auto &m : c.metrics)
        n = std::max(n, m.n);
      return double(n);
    };
    // One row per configuration and slot: the seed means and intervals of the slot's values.
    const auto write_summary = [&](const std::string &file, bool by_time) {
      std::vector<std::string> columns = {"N", "epsilon", "d", "D", "n_seeds"};
      if (by_time)
        columns.insert(columns.begin(), "t");
      for (const auto &m : names)
        {
          columns.push_back(m + "_mean");
          columns.push_back(m + "_ci95");
        }
      std::ofstream out(path(file));
      out << csv_header(columns);
      for (std::size_t slot = by_time ? 1 : 0; slot <= (by_time ? table.times.size() : 0); ++slot)
        for (const auto &c : summary)
          {
            std::vector<double> v = {double(c.N), c.epsilon, double(c.d), double(c.d + extra_dimension), n_seeds(c)};
            if (by_time)
              v.insert(v.begin(), table.times[slot - 1]);
            for (std::size_t m = 0; m < n_metrics; ++m)
              {
                v.push_back(c.metrics[slot * n_metrics + m].mean);
                v.push_back(c.metrics[slot * n_metrics + m].half_width);
              }
            out << csv_line(v);
          }
    };
    write_summary("study_summary.csv", false);
    if (!table.times.empty())
      write_summary("study_summary_by_time.csv", true);

    const auto rates = fit_rates(table, parameters, pde_error);
    {
      std::ofstream out(path("rates.csv"));
      out << "metric,t,sweep,d,N,epsilon,exponent,ci95_half_width,ci95_lower,ci95_upper,n_points,"
             "ratio_largest_to_smallest_d,pde_error,smallest_gap,fitted\n";
      for (const auto &r : rates)
        out << r.metric << ',' << (std::isnan(r.t) ? std::string("sup") : number(r.t)) << ',' << r.sweep << ','
            << r.d << ',' << r.N << ',' << number(r.epsilon) << ',' << number(r.fit.exponent) << ','
            << number(r.fit.half_width) << ',' << number(r.fit.exponent - r.fit.half_width) << ','
            << number(r.fit.exponent + r.fit.half_width) << ',' << r.fit.n_points << ',' << number(r.ratio) << ','
            << number(r.pde_error) << ',' << number(r.smallest_gap) << ',' << (r.refused ? 0 : 1) << '\n';
    }

    // The checks of the width and step-size laws (doc/theory.md §5), at the sup and at every error time.
    std::vector<std::string> checks;
    const auto check = [&](bool pass, const std::string &what) {
      checks.push_back(std::string(pass ? "PASS" : "FAIL") + ": " + what);
    };
    const auto with_ci = [](const PowerLawFit &f) {
      return number(f.exponent, 3) + " +- " + number(f.half_width, 2);
    };
    for (const auto &r : rates)
      {
        // The risk gap's epsilon-exponent is reported only: where a deterministic b(t)/N
        // dominates the gap at the largest N, the epsilon-sweep cannot see the step-size term.
        if (!is_clean_metric(r.metric) || (r.sweep == "d" && r.N != parameters.dimension_check_width()) ||
            (r.sweep == "epsilon" && r.metric == "risk_gap_no_self"))
          continue;
        // No values to fit (e.g. R_N not recorded at that time): nothing to check.
        if (!r.refused && (std::isnan(r.fit.exponent) || (r.sweep == "d" && std::isnan(r.ratio))))
          continue;
        const std::string when = std::isnan(r.t) ? "sup over t" : "t = " + number(r.t, 4);
        const std::string where =
          r.metric + ", " + when + ", " + (r.sweep == "d" ? "N = " + std::to_string(r.N) : "d = " + std::to_string(r.d));
        if (r.refused)
          check(false, where + ": no " + r.sweep + "-rate fitted, the PDE's own error " + number(r.pde_error, 3) +
                         " is not 10x below the smallest gap " + number(r.smallest_gap, 3));
        else if (r.sweep == "N" && r.metric == "risk_gap_no_self")
          // The theorem bounds it by N^(-1/2); near a minimiser it falls like 1/N.
          check(r.fit.exponent <= -0.35, where + ": exponent in N " + with_ci(r.fit) + " <= -0.35");
        else if (r.sweep == "N")
          check(r.fit.exponent >= -0.65 && r.fit.exponent <= -0.35,
                where + ": exponent in N " + with_ci(r.fit) + " within [-0.65, -0.35]");
        else if (r.sweep == "epsilon")
          {
            // Below D epsilon = 1/N the width term dominates (doc/theory.md §5), and
            // a sweep starting there fits a flatter slope.
            const double D_epsilon = (r.d + extra_dimension) * parameters.step_sizes.front(), floor = 1. / r.N;
            const bool   pass      = r.fit.exponent >= 0.5;
            check(pass, where + ": exponent in epsilon " + with_ci(r.fit) + " >= 0.5" +
                          (pass || D_epsilon >= floor ?
                             std::string() :
                             " (the smallest step is on the width floor: D epsilon = " + number(D_epsilon, 2) +
                               " < 1/N = " + number(floor, 2) + "; start the sweep at D epsilon >= 1/N)"));
          }
        else
          check(r.ratio <= 1.5, where + ": error at d = " + std::to_string(parameters.dimensions.back()) +
                                  " / error at d = " + std::to_string(parameters.dimensions.front()) + " = " +
                                  number(r.ratio, 3) + " <= 1.5");
      }

    // A sampled R_N: its standard error must stay 10x below the smallest risk gap it enters.
    const auto risk = std::find(names.begin(), names.end(), "risk_gap_no_self");
    for (const auto &c : summary)
      {
        double standard_error = 0.;
        for (const auto &row : table.rows)
          if (row.key.N == c.N && row.key.d == c.d && same_step(row.key.epsilon, c.epsilon) &&
              row.risk_standard_error > standard_error)
            standard_error = row.risk_standard_error;
        double smallest = std::numeric_limits<double>::infinity();
        for (std::size_t slot = 0; risk != names.end() && slot <= table.times.size(); ++slot)
          {
            const double gap = c.metrics[slot * n_metrics + (risk - names.begin())].mean;
            if (!std::isnan(gap))
              smallest = std::min(smallest, gap);
          }
        if (standard_error > 0. && std::isfinite(smallest))
          check(10. * standard_error <= smallest,
                "sampled R_N at N = " + std::to_string(c.N) + ", epsilon = " + number(c.epsilon, 3) + ", d = " +
                  std::to_string(c.d) + ": largest standard error " + number(standard_error, 3) +
                  " at least 10x below the smallest risk_gap_no_self " + number(smallest, 3));
      }

    const auto parts      = split_bias_fluctuation(table);
    const auto part_rates = fit_bias_fluctuation_rates(table, parameters, pde_error);
    if (!table.differences.empty() && !table.times.empty())
      write_bias_fluctuation(folder, parts, part_rates);
    write_study_report(path("report.md"),
                       {parameters, extra_dimension, table, summary, rates, pde_error, checks, parts, part_rates});

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
