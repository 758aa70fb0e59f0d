// The signed differences of a study split over seeds into bias (mean) and
// fluctuation (standard deviation), with the exponents of both in N and epsilon.
#include "study_files.h"

#include <mfdd/compare/bias_fluctuation.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <fstream>
#include <map>

namespace mfdd::compare
{
  using namespace internal;

  namespace
  {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    // The column of quantity q at error time k in StudyTable::Row::differences.
    std::size_t
    column(const StudyTable &table, std::size_t k, std::size_t q)
    {
      return k * table.differences.size() + q;
    }

    bool
    complete(const StudyTable &table, const StudyTable::Row &row)
    {
      return row.differences.size() == table.differences.size() * table.times.size();
    }

    // The PDE's own error of the gap that belongs to quantity q ("test_difference_1":
    // "test_gap_1") at error time k for dimension d; 0 where not known.
    double
    pde_error_of_quantity(const StudyTable                       &table,
                          const std::vector<std::vector<double>> &pde_error,
                          std::size_t                             q,
                          std::size_t                             k,
                          unsigned int                            d)
    {
      std::string gap   = table.differences[q];
      const auto  where = gap.find("difference");
      if (where == std::string::npos)
        return 0.;
      gap.replace(where, std::string("difference").size(), "gap");
      const auto metric = std::find(table.metrics.begin(), table.metrics.end(), gap);
      if (metric == table.metrics.end())
        return 0.;
      return pde_error_of_value(table, pde_error, (k + 1) * table.metrics.size() + (metric - table.metrics.begin()),
                                d);
    }

    // Each x's values with the sign of their mean removed, so that a fit of the means fits |mean|.
    std::vector<double>
    without_sign_of_mean(const std::vector<double> &x, std::vector<double> y)
    {
      std::map<double, double> sum;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (std::isfinite(y[i]))
          sum[x[i]] += y[i];
      for (std::size_t i = 0; i < x.size(); ++i)
        if (sum[x[i]] < 0.)
          y[i] = -y[i];
      return y;
    }
  } // namespace

  std::vector<BiasFluctuation>
  split_bias_fluctuation(const StudyTable &table)
  {
    std::vector<BiasFluctuation> parts;
    const auto                   configurations = rows_by_configuration(table);
    for (std::size_t q = 0; q < table.differences.size(); ++q)
      for (std::size_t k = 0; k < table.times.size(); ++k)
        for (const auto &[key, rows] : configurations)
          {
            std::vector<double> seeds;
            for (const auto *row : rows)
              if (complete(table, *row))
                seeds.push_back(row->differences[column(table, k, q)]);
            if (!seeds.empty())
              parts.push_back({table.differences[q], table.times[k], key.N, key.epsilon, key.d,
                               mean_with_interval(seeds), std_dev_with_interval(seeds)});
          }
    return parts;
  }

  std::vector<BiasFluctuationRate>
  fit_bias_fluctuation_rates(const StudyTable                       &table,
                             const StudyParameters                  &p,
                             const std::vector<std::vector<double>> &pde_error)
  {
    std::vector<BiasFluctuationRate> rates;
    const auto                       parts = split_bias_fluctuation(table);
    for (std::size_t q = 0; q < table.differences.size(); ++q)
      for (std::size_t k = 0; k < table.times.size(); ++k)
        for (const unsigned d : p.dimensions)
          for (const std::string sweep : {"N", "epsilon"})
            {
              if ((sweep == "N" && p.widths.size() < 2) || (sweep == "epsilon" && p.step_sizes.size() < 2))
                continue;
              const auto in_sweep = [&](const RunKey &key) {
                return sweep == "N" ? in_width_sweep(p, key, d) : in_step_sweep(p, key, d);
              };
              BiasFluctuationRate rate{table.differences[q],
                                       table.times[k],
                                       sweep,
                                       d,
                                       sweep == "N" ? 0u : p.largest_width(),
                                       sweep == "N" ? p.width_sweep_step() : 0.,
                                       {},
                                       {}};
              double smallest_resolved = std::numeric_limits<double>::infinity();
              for (const auto &part : parts)
                if (part.quantity == rate.quantity && part.t == rate.t && in_sweep({part.N, part.epsilon, part.d, 0}) &&
                    part.bias.n > 0)
                  {
                    ++rate.points;
                    if (std::abs(part.bias.mean) > part.bias.half_width)
                      {
                        ++rate.bias_resolved;
                        smallest_resolved = std::min(smallest_resolved, std::abs(part.bias.mean));
                      }
                  }
              rate.pde_error    = pde_error_of_quantity(table, pde_error, q, k, d);
              rate.bias_refused = rate.bias_resolved > 0 && !(10. * rate.pde_error <= smallest_resolved);
              std::vector<double> x, y;
              for (const auto &row : table.rows)
                if (complete(table, row) && in_sweep(row.key))
                  {
                    x.push_back(sweep == "N" ? double(row.key.N) : row.key.epsilon);
                    y.push_back(row.differences[column(table, k, q)]);
                  }
              rate.bias        = rate.bias_refused ? PowerLawFit{nan, nan, nan, 0} :
                                                     fit_power_law_of_means(x, without_sign_of_mean(x, y));
              rate.fluctuation = fit_power_law_of_std_devs(x, y);
              rates.push_back(rate);
            }
    return rates;
  }

  void
  write_bias_fluctuation(const std::string                      &folder,
                         const std::vector<BiasFluctuation>     &parts,
                         const std::vector<BiasFluctuationRate> &rates)
  {
    std::ofstream out(std::filesystem::path(folder) / "bias_fluctuation.csv");
    out << "quantity,t,N,epsilon,d,n_seeds,bias,bias_ci95,fluctuation,fluctuation_ci95_lower,fluctuation_ci95_upper\n";
    for (const auto &b : parts)
      out << b.quantity << ',' << number(b.t) << ',' << b.N << ',' << number(b.epsilon) << ',' << b.d << ','
          << b.bias.n << ',' << number(b.bias.mean) << ',' << number(b.bias.half_width) << ','
          << number(b.fluctuation.std_dev) << ',' << number(b.fluctuation.lower) << ','
          << number(b.fluctuation.upper) << '\n';
    std::ofstream fits(std::filesystem::path(folder) / "bias_fluctuation_rates.csv");
    fits << "quantity,t,sweep,d,N,epsilon,bias_exponent,bias_ci95,bias_resolved_points,points,"
            "fluctuation_exponent,fluctuation_ci95,pde_error,bias_fitted\n";
    for (const auto &r : rates)
      fits << r.quantity << ',' << number(r.t) << ',' << r.sweep << ',' << r.d << ',' << r.N << ','
           << number(r.epsilon) << ',' << number(r.bias.exponent) << ',' << number(r.bias.half_width) << ','
           << r.bias_resolved << ',' << r.points << ',' << number(r.fluctuation.exponent) << ','
           << number(r.fluctuation.half_width) << ',' << number(r.pde_error) << ',' << (r.bias_refused ? 0 : 1)
           << '\n';
  }
} // namespace mfdd::compare
