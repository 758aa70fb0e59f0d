// io/ owns everything between mfdd and the outside world: parameter files and
// the command line, the output folder, CSV and VTU/PVD files, progress lines and
// error reporting. It knows no mathematics.
#pragma once

#include <stdexcept>
#include <string>

namespace mfdd::io
{
  /**
   * A problem with what the user asked for (parameter file, command line,
   * mesh file, output folder). The message is one line that names the file or
   * parameter and says how to fix it; `mfdd` prints it and exits with status 2.
   */
  class InputError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /**
   * A run that went wrong after it started (NaN, negative mass, ...). `mfdd`
   * prints the one-line message and exits with status 3; output written so far
   * stays.
   */
  class RunError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// Throws InputError("<parameter>: <what>") unless the condition holds.
  inline void
  require(const bool condition, const std::string &parameter, const std::string &what)
  {
    if (!condition)
      throw InputError(parameter + ": " + what);
  }
} // namespace mfdd::io
