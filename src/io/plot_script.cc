#include <mfdd/io/plot_script.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#ifndef MFDD_SCRIPT_DIR
#  define MFDD_SCRIPT_DIR ""
#endif

namespace mfdd::io
{
  std::string
  find_plot_script(const std::string &name)
  {
    std::vector<std::filesystem::path> candidates;
    if (const char *source = std::getenv("MFDD_SOURCE_DIR"))
      candidates.push_back(std::filesystem::path(source) / "scripts");
    candidates.push_back(MFDD_SCRIPT_DIR);
    std::error_code ec;
    candidates.push_back(std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / ".." / "scripts");
    for (const auto &dir : candidates)
      if (!dir.empty() && std::filesystem::exists(dir / name))
        return (dir / name).string();
    return "";
  }
} // namespace mfdd::io
