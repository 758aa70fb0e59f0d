#pragma once

#include <string>

namespace mfdd::io
{
  /// Path of scripts/<name> (a matplotlib helper): under $MFDD_SOURCE_DIR, in
  /// the source tree mfdd was built from, or beside the binary; "" if none exists.
  std::string
  find_plot_script(const std::string &name);
} // namespace mfdd::io
