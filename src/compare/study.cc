// The study's driver: the runs of a design and their assignment to ranks, the
// study definition that a resumed study must match, and Study::run, which runs
// what is missing, appends each result to study.csv and pde_error.csv, and
// hands the table to write_results (study_results.cc).
#include "study_files.h"

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
{  using namespace internal;

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
      for (const double epsilon : p.all_step_sizes())
        for (const unsigned int N : p.widths)
          {
            const bool wanted = p.full_grid || same_step(epsilon, p.width_sweep_step()) ||
                                (N == p.largest_width() && p.in_epsilon_sweep(epsilon));
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

  namespace
  {
    // The parameters that say which runs a study makes, not what a run is:
    // a study resumed with other values keeps the finished runs it still needs.
    std::string
    without_run_list(const std::string &definition)
    {
      static const std::vector<std::string> run_list = {"Widths N", "Step sizes epsilon", "Width sweep epsilon",
                                                        "Dimensions d", "Seeds", "Design", "Dimension check N",
                                                        "Plots"};
      std::istringstream in(definition);
      std::string        line, kept, section;
      while (std::getline(in, line))
        {
          const auto first = line.find_first_not_of(' ');
          const auto text  = first == std::string::npos ? std::string() : line.substr(first);
          if (text.rfind("subsection ", 0) == 0)
            section = text.substr(11);
          else if (text == "end")
            section.clear();
          else if (section == "Study" && text.rfind("set ", 0) == 0)
            {
              const auto key_end = text.find('=');
              auto       key     = text.substr(4, key_end == std::string::npos ? std::string::npos : key_end - 4);
              key.erase(key.find_last_not_of(' ') + 1);
              if (std::find(run_list.begin(), run_list.end(), key) != run_list.end())
                continue;
            }
          kept += line + '\n';
        }
      return kept;
    }
  } // namespace

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
    io::require(without_run_list(content) == without_run_list(definition), "Output/Folder",
                "'" + folder + "' holds a study with different parameters (compare with " + stored.string() +
                  ")" + fresh);
  }

  void
  write_study_definition(const std::string &folder, const std::string &definition)
  {
    std::ofstream(std::filesystem::path(folder) / "study_definition.prm") << definition;
  }

  namespace
  {
    // The index of the output time t of @p reference; InputError naming Study/Error times if there is none.
    std::size_t
    index_of_error_time(const model::ReducedLawTrajectory &reference, double t)
    {
      const auto at = std::find_if(reference.begin(), reference.end(), [&](const model::ReducedLawSnapshot &s) {
        return std::abs(s.t - t) <= 1e-9 * std::max(1., std::abs(t));
      });
      if (at == reference.end())
        {
          std::string output_times;
          for (const auto &s : reference)
            output_times += (output_times.empty() ? "" : ", ") + number(s.t, 6);
          throw io::InputError("Study/Error times: t = " + number(t) + " is not an output time of the runs (" +
                               output_times + "); choose among these or change Output/Output interval");
        }
      return at - reference.begin();
    }
  } // namespace

  std::vector<double>
  study_values(const std::vector<std::vector<double>> &rows,
               const model::ReducedLawTrajectory      &reference,
               const std::vector<double>              &times)
  {
    std::vector<double> values = sup_over_time(rows);
    for (const double t : times)
      {
        const auto &row = rows.at(index_of_error_time(reference, t));
        values.insert(values.end(), row.begin(), row.end());
      }
    return values;
  }

  std::vector<double>
  study_differences(const SnapshotMetrics             &metrics,
                    const model::ReducedLawTrajectory &reference,
                    const model::ReducedLawTrajectory &other,
                    const std::vector<double>         &times)
  {
    std::vector<double> values;
    for (const double t : times)
      {
        const std::size_t k   = index_of_error_time(reference, t);
        const auto        row = metrics.differences(reference[k], other.at(k));
        values.insert(values.end(), row.begin(), row.end());
      }
    return values;
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
        data.insert(data.end(), {s.t, s.risk, s.risk_standard_error, s.self_interaction});
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
        s.t                   = data[i++];
        s.risk                = data[i++];
        s.risk_standard_error = data[i++];
        s.self_interaction    = data[i++];
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

    // Over the snapshots with a recorded R_N; NaN if none has one.
    double
    largest_risk_standard_error(const model::ReducedLawTrajectory &trajectory)
    {
      double largest = std::numeric_limits<double>::quiet_NaN();
      for (const auto &s : trajectory)
        if (!std::isnan(s.risk_standard_error) && !(s.risk_standard_error <= largest))
          largest = s.risk_standard_error;
      return largest;
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
    const auto        &names  = metrics.names();
    const auto        &times  = parameters.error_times;
    const auto         values = study_value_names(names, times);

    // Finished runs and PDE error estimates, read by rank 0, known to all.
    std::vector<double> finished, pde_done;
    const auto        &differences = metrics.difference_names();
    StudyTable          table{names, times, differences, {}};
    if (rank == 0)
      {
        table = StudyTable::read(path("study.csv"), names, times, differences);
        // Rewrite the table without a cut-off last line before appending.
        std::ofstream out(path("study.csv"));
        out << csv_header(table.columns());
        for (const auto &row : table.rows)
          {
            std::vector<double> v = {double(row.key.N), row.key.epsilon, double(row.key.d), double(row.key.seed)};
            v.insert(v.end(), row.values.begin(), row.values.end());
            v.insert(v.end(), row.differences.begin(), row.differences.end());
            v.push_back(row.risk_standard_error);
            v.push_back(row.seconds);
            out << csv_line(v);
            finished.insert(finished.end(), v.begin(), v.begin() + 4);
          }
        for (const auto &row : read_numeric_csv(path("pde_error.csv"), pde_error_columns(values)))
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
                const auto          all  = study_values(rows, base, times);
                line.insert(line.end(), all.begin(), all.end());
                line.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
                const std::string file = path("pde_error.csv");
                if (!std::filesystem::exists(file))
                  append_line(file, csv_header(pde_error_columns(values)));
                append_line(file, csv_line(line));
              }
            std::cout << "study: PDE for d = " << d << " done" << std::endl;
          }
          catch (const io::InputError &e)
            {
              failure = std::string("input:") + e.what();
            }
          catch (const std::exception &e)
            {
              failure = "the PDE solve for d = " + std::to_string(d) + " failed: " + e.what();
            }
        // A failure on one rank stops every rank (nobody waits forever).
        failure = dealii::Utilities::MPI::broadcast(comm, failure, owner);
        if (failure.rfind("input:", 0) == 0)
          throw io::InputError(failure.substr(6));
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
        const auto sgd   = evolutions.sgd(run);
        const auto rows  = compare_trajectories(metrics, pde.at(run.d), sgd);
        const auto sup   = study_values(rows, pde.at(run.d), times);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::vector<double> line = {double(run.N), run.epsilon, double(run.d), double(run.seed)};
        line.insert(line.end(), sup.begin(), sup.end());
        const auto signed_values = study_differences(metrics, pde.at(run.d), sgd, times);
        line.insert(line.end(), signed_values.begin(), signed_values.end());
        line.push_back(largest_risk_standard_error(sgd));
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
    // Finished runs of an earlier design that this one does not use stay in study.csv only.
    StudyTable all = StudyTable::read(path("study.csv"), names, times, differences);
    const auto runs = study_runs(parameters);
    all.rows.erase(std::remove_if(all.rows.begin(), all.rows.end(),
                                  [&](const StudyTable::Row &row) {
                                    return std::find(runs.begin(), runs.end(), row.key) == runs.end();
                                  }),
                   all.rows.end());
    std::vector<std::vector<double>> pde_error;
    for (auto row : read_numeric_csv(path("pde_error.csv"), pde_error_columns(values)))
      {
        row.pop_back(); // seconds
        pde_error.push_back(row);
      }
    for (const auto &line : write_results(all, pde_error))
      std::cout << "study: " << line << std::endl;
  }
} // namespace mfdd::compare
