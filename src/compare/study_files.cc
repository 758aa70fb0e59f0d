#include "study_files.h"

#include <mfdd/io/input_error.h>

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <tuple>

namespace mfdd::compare::internal
{
  bool
  same_step(double a, double b)
  {
    return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
  }

  std::string
  number(double v, int precision)
  {
    if (std::isnan(v))
      return "nan";
    std::ostringstream out;
    out << std::setprecision(precision) << v;
    return out.str();
  }

  // The complete rows of a numeric CSV file whose header must be @p header
  // (missing or empty file: no rows). A last line without its newline was
  // cut by an interruption and is dropped.
  std::vector<std::vector<double>>
  read_numeric_csv(const std::string &filename, const std::vector<std::string> &header)
  {
    std::vector<std::vector<double>> rows;
    std::ifstream                    in(filename);
    if (!in)
      return rows;
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> lines;
    std::istringstream       stream(content);
    for (std::string line; std::getline(stream, line);)
      lines.push_back(line);
    if (lines.empty() || lines[0].empty())
      return rows;
    std::string expected;
    for (const auto &c : header)
      expected += (expected.empty() ? "" : ",") + c;
    if (lines[0] != expected)
      throw io::InputError(filename + ": its columns (" + lines[0] + ") are not those of this study (" +
                           expected + "); choose another Output/Folder or delete the file to start fresh");
    if (content.back() != '\n')
      lines.pop_back();
    for (std::size_t i = 1; i < lines.size(); ++i)
      {
        const auto fields = dealii::Utilities::split_string_list(lines[i], ',');
        if (fields.size() != header.size())
          continue;
        std::vector<double> v;
        for (const auto &f : fields)
          v.push_back(f == "nan" ? std::numeric_limits<double>::quiet_NaN() : std::stod(f));
        rows.push_back(v);
      }
    return rows;
  }

  std::vector<std::string>
  pde_error_columns(const std::vector<std::string> &metrics)
  {
    std::vector<std::string> c = {"d"};
    c.insert(c.end(), metrics.begin(), metrics.end());
    c.push_back("seconds");
    return c;
  }

  std::string
  csv_line(const std::vector<double> &values)
  {
    std::string line;
    for (std::size_t i = 0; i < values.size(); ++i)
      line += (i ? "," : "") + number(values[i]);
    return line + "\n";
  }

  std::string
  csv_header(const std::vector<std::string> &columns)
  {
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i)
      line += (i ? "," : "") + columns[i];
    return line + "\n";
  }

  std::vector<std::pair<RunKey, std::vector<const StudyTable::Row *>>>
  rows_by_configuration(const StudyTable &table)
  {
    std::vector<std::pair<RunKey, std::vector<const StudyTable::Row *>>> groups;
    for (const auto &row : table.rows)
      {
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto &g) {
          return g.first.N == row.key.N && g.first.d == row.key.d && same_step(g.first.epsilon, row.key.epsilon);
        });
        if (group == groups.end())
          group = groups.insert(groups.end(), {row.key, {}});
        group->second.push_back(&row);
      }
    std::stable_sort(groups.begin(), groups.end(), [](const auto &a, const auto &b) {
      return std::make_tuple(a.first.d, a.first.epsilon, a.first.N) <
             std::make_tuple(b.first.d, b.first.epsilon, b.first.N);
    });
    return groups;
  }

  bool
  in_width_sweep(const StudyParameters &p, const RunKey &key, unsigned int d)
  {
    return key.d == d && same_step(key.epsilon, p.width_sweep_step());
  }

  bool
  in_step_sweep(const StudyParameters &p, const RunKey &key, unsigned int d)
  {
    return key.d == d && key.N == p.largest_width() && p.in_epsilon_sweep(key.epsilon);
  }

  double
  pde_error_of_value(const StudyTable                       &table,
                     const std::vector<std::vector<double>> &pde_error,
                     std::size_t                             v,
                     unsigned int                            d)
  {
    const std::size_t n_metrics = table.metrics.size();
    std::size_t       column    = v;
    if (table.metrics[v % n_metrics] == "risk_gap_no_self")
      {
        const auto risk = std::find(table.metrics.begin(), table.metrics.end(), "risk_gap");
        if (risk != table.metrics.end())
          column = v - v % n_metrics + std::size_t(risk - table.metrics.begin());
      }
    for (const auto &row : pde_error)
      if (unsigned(row[0]) == d && 1 + column < row.size())
        return row[1 + column];
    return 0.;
  }

  bool
  is_clean_metric(const std::string &name)
  {
    return name.rfind("w1", 0) == 0 || name == "sliced_w1" || name.rfind("test_gap", 0) == 0 ||
           name == "risk_gap_no_self";
  }
} // namespace mfdd::compare::internal
