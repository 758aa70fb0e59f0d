#include <mfdd/compare/study.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/output.h>
#include <mfdd/io/plot_script.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

namespace mfdd::compare
{
  namespace
  {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    bool
    same_step(double a, double b)
    {
      return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
    }

    std::string
    number(double v, int precision = 15)
    {
      if (std::isnan(v))
        return "nan";
      std::ostringstream out;
      out << std::setprecision(precision) << v;
      return out.str();
    }

    // Metrics the acceptance criteria speak about: the unbiased ones.
    bool
    is_clean_metric(const std::string &name)
    {
      return name.rfind("w1", 0) == 0 || name == "sliced_w1" || name.rfind("test_gap", 0) == 0 ||
             name == "risk_gap_no_self";
    }
  } // namespace

  bool
  RunKey::operator==(const RunKey &other) const
  {
    return N == other.N && d == other.d && seed == other.seed && same_step(epsilon, other.epsilon);
  }

  std::vector<RunKey>
  study_runs(const StudyParameters &p)
  {
    std::vector<RunKey> runs;
    for (const unsigned int d : p.dimensions)
      for (const double epsilon : p.step_sizes)
        for (const unsigned int N : p.widths)
          {
            const bool wanted =
              p.full_grid || same_step(epsilon, p.smallest_step()) || N == p.largest_width();
            if (wanted)
              for (const unsigned int seed : p.seeds)
                runs.push_back({N, epsilon, d, seed});
          }
    return runs;
  }

  std::vector<std::vector<RunKey>>
  assign_runs(const std::vector<RunKey>                 &runs,
              unsigned int                               n_ranks,
              const std::function<double(const RunKey &)> &cost)
  {
    std::vector<RunKey> sorted = runs;
    std::stable_sort(sorted.begin(), sorted.end(), [&](const RunKey &a, const RunKey &b) { return cost(a) > cost(b); });
    std::vector<std::vector<RunKey>> assignment(n_ranks);
    std::vector<double>              load(n_ranks, 0.);
    for (const auto &run : sorted)
      {
        const auto rank = std::min_element(load.begin(), load.end()) - load.begin();
        assignment[rank].push_back(run);
        load[rank] += cost(run);
      }
    return assignment;
  }

  std::vector<std::string>
  StudyTable::columns() const
  {
    std::vector<std::string> c = {"N", "epsilon", "d", "seed"};
    c.insert(c.end(), metrics.begin(), metrics.end());
    c.push_back("seconds");
    return c;
  }

  namespace
  {
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
            v.push_back(f == "nan" ? nan : std::stod(f));
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
  } // namespace

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

  void
  check_study_definition(const std::string &folder, const std::string &definition)
  {
    const std::filesystem::path stored = std::filesystem::path(folder) / "study_definition.prm";
    const std::filesystem::path table  = std::filesystem::path(folder) / "study.csv";
    const std::string           fresh  = "; choose another Output/Folder, or delete " + table.string() + ", " +
                              (std::filesystem::path(folder) / "pde_error.csv").string() + " and " +
                              stored.string() + " to start fresh";
    if (!std::filesystem::exists(stored))
      {
        io::require(!std::filesystem::exists(table), "Output/Folder",
                    "'" + folder + "' holds a study.csv without study_definition.prm, so it cannot be resumed" +
                      fresh);
        return;
      }
    std::ifstream in(stored);
    std::string   content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    io::require(content == definition, "Output/Folder",
                "'" + folder + "' holds a study with different parameters (compare with " + stored.string() +
                  ")" + fresh);
  }

  void
  write_study_definition(const std::string &folder, const std::string &definition)
  {
    const std::filesystem::path stored = std::filesystem::path(folder) / "study_definition.prm";
    if (!std::filesystem::exists(stored))
      std::ofstream(stored) << definition;
  }

  std::vector<double>
  pack(const model::ReducedLawTrajectory &trajectory)
  {
    std::vector<double> data = {double(trajectory.size())};
    const auto          add  = [&](const auto &v) {
      data.push_back(v.size());
      data.insert(data.end(), v.begin(), v.end());
    };
    for (const auto &s : trajectory)
      {
        data.insert(data.end(), {s.t, s.risk, s.self_interaction});
        add(s.points);
        add(s.weights);
        add(s.grid.lower);
        add(s.grid.upper);
        add(s.grid.n);
        add(s.grid.values);
      }
    return data;
  }

  model::ReducedLawTrajectory
  unpack(const std::vector<double> &data)
  {
    std::size_t                 i = 0;
    model::ReducedLawTrajectory trajectory(static_cast<std::size_t>(data[i++]));
    const auto                  take = [&](auto &v) {
      const std::size_t n = data[i++];
      v.assign(data.begin() + i, data.begin() + i + n);
      i += n;
    };
    for (auto &s : trajectory)
      {
        s.t                = data[i++];
        s.risk             = data[i++];
        s.self_interaction = data[i++];
        take(s.points);
        take(s.weights);
        take(s.grid.lower);
        take(s.grid.upper);
        take(s.grid.n);
        take(s.grid.values);
      }
    return trajectory;
  }

  Study::Study(StudyParameters parameters, SnapshotMetrics metrics, std::string folder, unsigned int extra_dimension)
    : parameters(std::move(parameters))
    , metrics(std::move(metrics))
    , folder(std::move(folder))
    , extra_dimension(extra_dimension)
  {}

  std::string
  Study::path(const std::string &name) const
  {
    return (std::filesystem::path(folder) / name).string();
  }

  namespace
  {
    // Appends one line with a single write() on a descriptor opened with
    // O_APPEND, so that ranks finishing at the same time never interleave.
    void
    append_line(const std::string &filename, const std::string &line)
    {
      const int fd = ::open(filename.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
      if (fd < 0)
        throw io::RunError(filename + ": cannot append a finished run");
      const ssize_t written = ::write(fd, line.data(), line.size());
      ::close(fd);
      if (written != ssize_t(line.size()))
        throw io::RunError(filename + ": could not write a finished run completely");
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

    std::vector<double>
    broadcast_vector(std::vector<double> data, unsigned int root, MPI_Comm comm)
    {
      unsigned long long n = data.size();
      MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm);
      data.resize(n);
      MPI_Bcast(data.data(), int(n), MPI_DOUBLE, root, comm);
      return data;
    }

  } // namespace

  void
  Study::run(const Evolutions &evolutions, MPI_Comm comm) const
  {
    const unsigned int rank = dealii::Utilities::MPI::this_mpi_process(comm);
    const unsigned int size = dealii::Utilities::MPI::n_mpi_processes(comm);
    const auto        &names = metrics.names();

    // Finished runs and PDE error estimates, read by rank 0, known to all.
    std::vector<double> finished, pde_done;
    StudyTable          table{names, {}};
    if (rank == 0)
      {
        table = StudyTable::read(path("study.csv"), names);
        // Rewrite the table without a cut-off last line before appending.
        std::ofstream out(path("study.csv"));
        out << csv_header(table.columns());
        for (const auto &row : table.rows)
          {
            std::vector<double> v = {double(row.key.N), row.key.epsilon, double(row.key.d), double(row.key.seed)};
            v.insert(v.end(), row.values.begin(), row.values.end());
            v.push_back(row.seconds);
            out << csv_line(v);
            finished.insert(finished.end(), v.begin(), v.begin() + 4);
          }
        for (const auto &row : read_numeric_csv(path("pde_error.csv"), pde_error_columns(names)))
          pde_done.push_back(row[0]);
      }
    finished = broadcast_vector(finished, 0, comm);
    pde_done = broadcast_vector(pde_done, 0, comm);
    const auto is_finished = [&](const RunKey &k) {
      for (std::size_t i = 0; i + 3 < finished.size(); i += 4)
        if (RunKey{unsigned(finished[i]), finished[i + 1], unsigned(finished[i + 2]), unsigned(finished[i + 3])} == k)
          return true;
      return false;
    };

    std::vector<RunKey> pending;
    for (const auto &run : study_runs(parameters))
      if (!is_finished(run))
        pending.push_back(run);
    if (rank == 0)
      std::cout << "study: " << study_runs(parameters).size() << " runs, " << pending.size() << " to do on " << size
                << " rank(s)" << std::endl;

    // PDE solves: one per d with pending runs or without an error estimate,
    // spread over the ranks, then broadcast to all.
    std::map<unsigned int, model::ReducedLawTrajectory> pde;
    for (std::size_t i = 0; i < parameters.dimensions.size(); ++i)
      {
        const unsigned int d          = parameters.dimensions[i];
        const bool         need_error = std::count(pde_done.begin(), pde_done.end(), double(d)) == 0;
        const bool need_solve = need_error || std::any_of(pending.begin(), pending.end(), [&](const RunKey &k) {
                                  return k.d == d;
                                });
        if (!need_solve)
          continue;
        const unsigned int  owner = i % size;
        std::vector<double> data;
        std::string         failure;
        if (rank == owner)
          try
          {
            const auto start = std::chrono::steady_clock::now();
            const auto base  = evolutions.pde(d, 0);
            data             = pack(base);
            if (need_error)
              {
                const auto          rows = compare_trajectories(metrics, evolutions.pde(d, 1), base);
                std::vector<double> line = {double(d)};
                const auto          sup  = sup_over_time(rows);
                line.insert(line.end(), sup.begin(), sup.end());
                line.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
                const std::string file = path("pde_error.csv");
                if (!std::filesystem::exists(file))
                  append_line(file, csv_header(pde_error_columns(names)));
                append_line(file, csv_line(line));
              }
            std::cout << "study: PDE for d = " << d << " done" << std::endl;
          }
          catch (const std::exception &e)
            {
              failure = "the PDE solve for d = " + std::to_string(d) + " failed: " + e.what();
            }
        // A failure on one rank stops every rank (nobody waits forever).
        failure = dealii::Utilities::MPI::broadcast(comm, failure, owner);
        if (!failure.empty())
          throw io::RunError(failure);
        pde[d] = unpack(broadcast_vector(data, owner, comm));
      }

    // The SGD runs of this rank, each appended to study.csv when done.
    const auto  assignment = assign_runs(pending, size, [&](const RunKey &r) { return evolutions.cost(r); });
    std::string failure;
    for (const auto &run : assignment[rank])
      try
      {
        const auto start = std::chrono::steady_clock::now();
        const auto rows  = compare_trajectories(metrics, pde.at(run.d), evolutions.sgd(run));
        const auto sup   = sup_over_time(rows);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::vector<double> line = {double(run.N), run.epsilon, double(run.d), double(run.seed)};
        line.insert(line.end(), sup.begin(), sup.end());
        line.push_back(seconds);
        append_line(path("study.csv"), csv_line(line));
        std::ostringstream message;
        message << "study: N = " << run.N << ", epsilon = " << run.epsilon << ", d = " << run.d
                << ", seed = " << run.seed << ": " << names[2] << " = " << number(sup[2], 4) << " ("
                << number(seconds, 3) << " s)";
        std::cout << message.str() << std::endl;
      }
      catch (const std::exception &e)
        {
          std::ostringstream message;
          message << "the SGD run N = " << run.N << ", epsilon = " << run.epsilon << ", d = " << run.d
                  << ", seed = " << run.seed << " failed: " << e.what();
          failure = message.str();
          break;
        }

    // Instead of a barrier: every rank learns whether another one failed.
    for (const auto &f : dealii::Utilities::MPI::all_gather(comm, failure))
      if (!f.empty())
        throw io::RunError(f + " (finished runs are kept in study.csv; rerun to resume)");
    if (rank != 0)
      return;
    const StudyTable         all = StudyTable::read(path("study.csv"), names);
    std::vector<std::vector<double>> pde_error;
    for (auto row : read_numeric_csv(path("pde_error.csv"), pde_error_columns(names)))
      {
        row.pop_back(); // seconds
        pde_error.push_back(row);
      }
    for (const auto &line : write_results(all, pde_error))
      std::cout << "study: " << line << std::endl;
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
