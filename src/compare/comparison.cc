#include <mfdd/compare/comparison.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace mfdd::compare
{
  namespace
  {
    /// Per metric, the mean and 95% interval over seeds of @p by_seed[seed][metric].
    std::vector<MeanInterval>
    over_seeds(const std::vector<std::vector<double>> &by_seed, std::size_t n_metrics)
    {
      std::vector<MeanInterval> result;
      for (std::size_t m = 0; m < n_metrics; ++m)
        {
          std::vector<double> values;
          for (const auto &seed : by_seed)
            values.push_back(seed[m]);
          result.push_back(mean_with_interval(values));
        }
      return result;
    }
  } // namespace

  SeedComparison::SeedComparison(const SnapshotMetrics                          &metrics,
                                 const model::ReducedLawTrajectory              &pde,
                                 const std::vector<model::ReducedLawTrajectory> &sgd_runs)
    : metrics(metrics)
  {
    const std::size_t n_metrics = metrics.names().size();
    // gaps[seed][time][metric]
    std::vector<std::vector<std::vector<double>>> gaps;
    for (const auto &run : sgd_runs)
      gaps.push_back(compare_trajectories(metrics, pde, run));

    for (std::size_t k = 0; k < pde.size(); ++k)
      {
        std::vector<double> risks, selfs;
        for (const auto &run : sgd_runs)
          {
            risks.push_back(run[k].risk);
            selfs.push_back(std::isnan(run[k].risk) ? NAN : run[k].self_interaction);
          }
        const auto          risk = mean_with_interval(risks);
        std::vector<double> row  = {
          pde[k].t, pde[k].risk, pde[k].risk_error_estimate, risk.mean, risk.std_dev, mean_with_interval(selfs).mean};
        std::vector<std::vector<double>> at_time; // [seed][metric]
        for (const auto &g : gaps)
          at_time.push_back(g[k]);
        for (const auto &statistics : over_seeds(at_time, n_metrics))
          row.push_back(statistics.mean);
        rows.push_back(row);
      }

    std::vector<std::vector<double>> seed_sups; // [seed][metric]
    for (const auto &g : gaps)
      seed_sups.push_back(sup_over_time(g));
    sups = over_seeds(seed_sups, n_metrics);

    // An error e in the PDE's risk moves both risk gaps by at most e.
    const double risk_estimate = model::sup_risk_error_estimate(pde);
    for (const auto &name : metrics.names())
      pde_estimates.push_back(name == "risk_gap" || name == "risk_gap_no_self" ? risk_estimate : NAN);
  }

  std::string
  SeedComparison::resolved(const std::size_t metric) const
  {
    if (std::isnan(pde_estimates[metric]) || std::isnan(sups[metric].mean))
      return "unknown";
    return sups[metric].mean >= 10. * pde_estimates[metric] ? "yes" : "no";
  }

  std::vector<std::string>
  SeedComparison::table_columns() const
  {
    std::vector<std::string> columns = {
      "t", "risk_pde", "risk_error_estimate", "risk_sgd_mean", "risk_sgd_std", "self_interaction_mean"};
    columns.insert(columns.end(), metrics.names().begin(), metrics.names().end());
    return columns;
  }

  namespace
  {
    std::string
    number(double v)
    {
      if (std::isnan(v))
        return "nan";
      std::ostringstream out;
      out << std::setprecision(15) << v;
      return out.str();
    }
  } // namespace

  void
  SeedComparison::write_table(const std::string &filename) const
  {
    std::ofstream out(filename);
    const auto    columns = table_columns();
    for (std::size_t i = 0; i < columns.size(); ++i)
      out << (i ? "," : "") << columns[i];
    out << '\n';
    for (const auto &row : rows)
      {
        for (std::size_t i = 0; i < row.size(); ++i)
          out << (i ? "," : "") << number(row[i]);
        out << '\n';
      }
  }

  void
  SeedComparison::write_summary(const std::string &filename) const
  {
    std::ofstream out(filename);
    out << "metric,sup_mean,ci95_half_width,ci95_lower,ci95_upper,n_seeds,pde_error_estimate,resolved,expression\n";
    const auto &names = metrics.names();
    for (std::size_t m = 0; m < names.size(); ++m)
      {
        const auto &s = sups[m];
        // test_gap_<i> carries its expression (quoted: it may hold commas)
        std::string expression;
        if (names[m].rfind("test_gap_", 0) == 0)
          expression = "\"" + metrics.test_functions().expression(std::stoul(names[m].substr(9)) - 1) + "\"";
        out << names[m] << ',' << number(s.mean) << ',' << number(s.half_width) << ','
            << number(s.mean - s.half_width) << ',' << number(s.mean + s.half_width) << ',' << s.n << ','
            << number(pde_estimates[m]) << ',' << resolved(m) << ',' << expression << '\n';
      }
  }

  StationaryComparison::StationaryComparison(const SnapshotMetrics                          &metrics,
                                             const model::ReducedLawSnapshot                &stationary,
                                             const model::ReducedLawSnapshot                &pde_final,
                                             const std::vector<model::ReducedLawTrajectory> &sgd_runs)
    : metrics(metrics)
    , pde(metrics(stationary, pde_final))
  {
    std::vector<std::vector<double>> gaps; // [seed][metric]
    for (const auto &run : sgd_runs)
      gaps.push_back(metrics(stationary, run.back()));
    sgd = over_seeds(gaps, metrics.names().size());
  }

  void
  StationaryComparison::write(const std::string &filename) const
  {
    std::ofstream out(filename);
    out << "metric,pde_final,sgd_final_mean,sgd_final_ci95_half_width,n_seeds\n";
    for (std::size_t m = 0; m < metrics.names().size(); ++m)
      out << metrics.names()[m] << ',' << number(pde[m]) << ',' << number(sgd[m].mean) << ','
          << number(sgd[m].half_width) << ',' << sgd[m].n << '\n';
  }
} // namespace mfdd::compare
