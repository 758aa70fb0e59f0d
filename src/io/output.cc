#include <mfdd/io/input_error.h>
#include <mfdd/io/output.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/patterns.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mfdd::io
{
  void
  OutputParameters::declare_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Output");
    prm.declare_entry("Folder", "output",
                      dealii::Patterns::Anything(),
                      "Folder that receives every file of the run, created if missing: "
                      "the parameters used, CSV tables, VTU/PVD files for ParaView.");
    prm.declare_entry("Output interval", "0.1",
                      dealii::Patterns::Double(0.),
                      "Time (in units of the PDE time t = k epsilon) between two "
                      "recorded states. Must be positive.");
    prm.declare_entry("Write vtu", "true",
                      dealii::Patterns::Bool(),
                      "Write VTU files with a PVD record for ParaView (densities of the "
                      "PDE, point clouds of the neurons).");
    prm.leave_subsection();
  }

  void
  OutputParameters::parse_parameters(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Output");
    folder    = prm.get("Folder");
    interval  = prm.get_double("Output interval");
    write_vtu = prm.get_bool("Write vtu");
    prm.leave_subsection();
    require(!folder.empty(), "Output/Folder", "must not be empty; name a folder for the results");
    require(interval > 0, "Output/Output interval", "must be positive");
  }

  void
  OutputParameters::prepare_folder() const
  {
    std::string problem;
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      {
        std::error_code ec;
        std::filesystem::create_directories(folder, ec);
        const std::string probe = path(".mfdd_write_test");
        std::ofstream     test(probe);
        if (ec || !test)
          problem = "Output/Folder: cannot create or write '" + folder +
                    "'; choose a writable folder or fix its permissions";
        test.close();
        std::filesystem::remove(probe, ec);
      }
    problem = dealii::Utilities::MPI::broadcast(MPI_COMM_WORLD, problem, 0);
    if (!problem.empty())
      throw InputError(problem);
  }

  std::string
  OutputParameters::path(const std::string &name) const
  {
    return (std::filesystem::path(folder) / name).string();
  }

  CsvWriter::CsvWriter(const std::string &filename, const std::vector<std::string> &columns, bool append)
  {
    open(filename, columns, append);
  }

  void
  CsvWriter::open(const std::string &filename, const std::vector<std::string> &columns, bool append)
  {
    const bool write_header = !append || !std::filesystem::exists(filename) ||
                              std::filesystem::file_size(filename) == 0;
    out.open(filename, append ? std::ios::app : std::ios::trunc);
    if (!out)
      throw InputError(filename + ": cannot write; check the output folder's permissions");
    n_columns = columns.size();
    if (write_header)
      {
        for (std::size_t i = 0; i < columns.size(); ++i)
          out << (i ? "," : "") << columns[i];
        out << '\n' << std::flush;
      }
  }

  void
  CsvWriter::add_row(const std::vector<double> &values)
  {
    if (values.size() != n_columns)
      throw std::logic_error("CsvWriter: row has " + std::to_string(values.size()) +
                             " values for " + std::to_string(n_columns) + " columns");
    add_rows(values.data(), 1);
  }

  void
  CsvWriter::add_rows(const double *values, std::size_t n_rows)
  {
    // std::to_chars in general format with 15 digits writes what the stream
    // does with setprecision(15), several times faster (N = 1e5 particles a snapshot).
    std::string text;
    char        number[32];
    for (std::size_t r = 0; r < n_rows; ++r)
      for (std::size_t i = 0; i < n_columns; ++i)
        {
          const auto end = std::to_chars(number, number + sizeof(number), values[r * n_columns + i],
                                         std::chars_format::general, 15).ptr;
          text.append(number, end);
          text.push_back(i + 1 < n_columns ? ',' : '\n');
        }
    out << text << std::flush;
  }

  ProgressReporter::ProgressReporter(const std::string &label, double total, bool active, double seconds_between_lines)
    : label(label)
    , total(total)
    , active(active && dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    , interval(seconds_between_lines)
    , start(Clock::now())
    , last(start)
  {}

  double
  ProgressReporter::elapsed_seconds() const
  {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  void
  ProgressReporter::update(double done, const std::string &extra)
  {
    const auto now = Clock::now();
    if (!active || std::chrono::duration<double>(now - last).count() < interval)
      return;
    last                 = now;
    const double elapsed = elapsed_seconds();
    const double eta     = done > 0 ? elapsed * (total - done) / done : 0.;
    std::ostringstream line;
    line << label << ": " << std::fixed << std::setprecision(1) << 100. * done / total
         << "% done, " << std::setprecision(0) << elapsed << " s elapsed, ETA " << eta << " s";
    if (!extra.empty())
      line << ", " << extra;
    std::cout << line.str() << std::endl;
  }
} // namespace mfdd::io
