#pragma once

#include <deal.II/base/parameter_handler.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace mfdd::io
{
  /**
   * The `Output` section shared by every command: where a run writes and how
   * often. The folder is created (and tested for writing) before any
   * computation starts, so a bad path costs no work.
   */
  struct OutputParameters
  {
    std::string folder         = "output";
    double      interval       = 0.1;
    bool        write_vtu      = true;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    void
    parse_parameters(dealii::ParameterHandler &prm);

    /// Creates the folder (rank 0), checks it is writable; InputError if not.
    void
    prepare_folder() const;

    /// folder + "/" + name
    std::string
    path(const std::string &name) const;
  };

  /**
   * A CSV file written row by row and flushed after each row, so an
   * interrupted or failing run keeps every row it finished.
   */
  class CsvWriter
  {
  public:
    CsvWriter() = default;
    CsvWriter(const std::string &filename, const std::vector<std::string> &columns, bool append = false);

    void
    open(const std::string &filename, const std::vector<std::string> &columns, bool append = false);
    void
    add_row(const std::vector<double> &values);
    /// @p n_rows rows at once (@p values row by row), flushed at the end: a
    /// table written whole, such as one snapshot's particles.
    void
    add_rows(const double *values, std::size_t n_rows);
    bool
    is_open() const
    {
      return out.is_open();
    }

  private:
    std::ofstream out;
    std::size_t   n_columns = 0;
  };

  /**
   * One progress line to stdout at most every few seconds: fraction done,
   * rate and remaining time. Silent on ranks other than 0.
   */
  class ProgressReporter
  {
  public:
    ProgressReporter(const std::string &label, double total, bool active = true, double seconds_between_lines = 5.);
    /// Reports that @p done (in the same unit as total) is complete.
    void
    update(double done, const std::string &extra = "");
    double
    elapsed_seconds() const;

  private:
    using Clock = std::chrono::steady_clock;
    std::string       label;
    double            total;
    bool              active;
    double            interval;
    Clock::time_point start, last;
  };
} // namespace mfdd::io
