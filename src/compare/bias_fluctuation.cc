// The signed differences of a study split over seeds into bias (mean) and
// fluctuation (standard deviation), with the exponents of both in N and epsilon.
#include "study_files.h"

#include <mfdd/compare/bias_fluctuation.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

namespace mfdd::compare
{
  using namespace internal;

  namespace
  {
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
    for (std::size_t q = 0; q < table.differences.size(); ++q)
      for (std::size_t k = 0; k < table.times.size(); ++k)
        {
          std::vector<RunKey>              configurations; // seed unused
          std::vector<std::vector<double>> values;
          for (const auto &row : table.rows)
            {
              if (!complete(table, row))
                continue;
              std::size_t c = 0;
              while (c < configurations.size() &&
                     !(configurations[c].N == row.key.N && configurations[c].d == row.key.d &&
                       same_step(configurations[c].epsilon, row.key.epsilon)))
                ++c;
              if (c == configurations.size())
                {
                  configurations.push_back(row.key);
                  values.emplace_back();
                }
              values[c].push_back(row.differences[column(table, k, q)]);
            }
          std::vector<std::size_t> order(configurations.size());
          for (std::size_t c = 0; c < order.size(); ++c)
            order[c] = c;
          std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const auto &x = configurations[a], &y = configurations[b];
            return std::make_tuple(x.d, x.epsilon, x.N) < std::make_tuple(y.d, y.epsilon, y.N);
          });
          for (const auto c : order)
            parts.push_back({table.differences[q], table.times[k], configurations[c].N, configurations[c].epsilon,
                             configurations[c].d, mean_with_interval(values[c]), std_dev_with_interval(values[c])});
        }
    return parts;
  }

  std::vector<BiasFluctuationRate>
  fit_bias_fluctuation_rates(const StudyTable &table, const StudyParameters &p)
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
              const auto in_sweep = [&](unsigned N, double epsilon, unsigned run_d) {
                return run_d == d && (sweep == "N" ? same_step(epsilon, p.width_sweep_step()) :
                                                     N == p.largest_width() && p.in_epsilon_sweep(epsilon));
              };
              BiasFluctuationRate rate{table.differences[q],
                                       table.times[k],
                                       sweep,
                                       d,
                                       sweep == "N" ? 0u : p.largest_width(),
                                       sweep == "N" ? p.width_sweep_step() : 0.,
                                       {},
                                       {}};
              for (const auto &part : parts)
                if (part.quantity == rate.quantity && part.t == rate.t && in_sweep(part.N, part.epsilon, part.d) &&
                    part.bias.n > 0)
                  {
                    ++rate.points;
                    if (std::abs(part.bias.mean) > part.bias.half_width)
                      ++rate.bias_resolved;
                  }
              std::vector<double> x, y;
              for (const auto &row : table.rows)
                if (complete(table, row) && in_sweep(row.key.N, row.key.epsilon, row.key.d))
                  {
                    x.push_back(sweep == "N" ? double(row.key.N) : row.key.epsilon);
                    y.push_back(row.differences[column(table, k, q)]);
                  }
              rate.bias        = fit_power_law_of_means(x, without_sign_of_mean(x, y));
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
            "fluctuation_exponent,fluctuation_ci95\n";
    for (const auto &r : rates)
      fits << r.quantity << ',' << number(r.t) << ',' << r.sweep << ',' << r.d << ',' << r.N << ','
           << number(r.epsilon) << ',' << number(r.bias.exponent) << ',' << number(r.bias.half_width) << ','
           << r.bias_resolved << ',' << r.points << ',' << number(r.fluctuation.exponent) << ','
           << number(r.fluctuation.half_width) << '\n';
  }
} // namespace mfdd::compare
