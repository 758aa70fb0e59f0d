#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>

#include <deal.II/base/utilities.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mfdd::io
{
  namespace
  {
    // deal.II's messages span several indented lines; ours are one line.
    std::string
    one_line(const dealii::ExceptionBase &e)
    {
      std::ostringstream out;
      e.print_info(out);
      std::string text = out.str(), line;
      for (const char c : text)
        {
          const bool space = (c == '\n' || c == ' ' || c == '\t');
          if (space && (line.empty() || line.back() == ' '))
            continue;
          line += space ? ' ' : c;
        }
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      return line;
    }
  } // namespace

  std::string
  setting_to_prm_text(const std::string &setting)
  {
    const auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError("--set \"" + setting +
                       "\": expected \"Section/Key=value\", e.g. --set \"Problem/Dimension d=40\"");
    const std::vector<std::string> path =
      dealii::Utilities::split_string_list(setting.substr(0, eq), '/');
    std::string text;
    for (unsigned int i = 0; i + 1 < path.size(); ++i)
      text += "subsection " + path[i] + "\n";
    text += "set " + path.back() + " = " + setting.substr(eq + 1) + "\n";
    for (unsigned int i = 0; i + 1 < path.size(); ++i)
      text += "end\n";
    return text;
  }

  void
  read_parameter_file(dealii::ParameterHandler       &prm,
                      const std::string              &filename,
                      const std::vector<std::string> &settings)
  {
    // An ifstream opens a directory without complaint and reads nothing from it.
    std::error_code error;
    if (std::filesystem::is_directory(filename, error))
      throw InputError(filename + ": is a folder, not a parameter file; give a .prm file "
                                  "(`mfdd parameters > file.prm` writes a complete one)");
    std::ifstream in(filename);
    if (!in)
      throw InputError(filename + ": cannot open the parameter file; check the path "
                                  "(`mfdd parameters > file.prm` writes a complete one)");
    std::string current = filename;
    try
      {
        prm.parse_input(in, filename, "", /*skip_undefined=*/false);
        for (const auto &setting : settings)
          {
            current = "--set \"" + setting + "\"";
            std::istringstream text(setting_to_prm_text(setting));
            prm.parse_input(text, current, "", false);
          }
      }
    catch (const dealii::ParameterHandler::ExcInvalidEntryForPattern &e)
      {
        throw InputError(one_line(e) + " (`mfdd parameters` documents every parameter)");
      }
    catch (const dealii::ExceptionBase &e)
      {
        throw InputError(current + ": " + one_line(e) +
                         " (`mfdd parameters` lists every section and key)");
      }
  }

  std::vector<double>
  parse_double_list(const std::string &text, const std::string &parameter)
  {
    std::vector<double> values;
    for (const auto &item : dealii::Utilities::split_string_list(text, ','))
      {
        std::size_t used = 0;
        double      value;
        try
          {
            value = std::stod(item, &used);
          }
        catch (...)
          {
            used = 0;
          }
        if (used != item.size() || item.empty())
          throw InputError(parameter + ": '" + item + "' is not a number; give a comma-separated list");
        values.push_back(value);
      }
    return values;
  }
} // namespace mfdd::io
