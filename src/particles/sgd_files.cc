#include "sgd_files.h"

#include <deal.II/base/data_out_base.h>

#include <fstream>
#include <iomanip>
#include <sstream>

namespace mfdd::particles
{
  namespace
  {
    std::string
    numbered(const std::string &prefix, unsigned int n, const std::string &suffix)
    {
      std::ostringstream name;
      name << prefix << std::setw(4) << std::setfill('0') << n << suffix;
      return name.str();
    }
  } // namespace

  SgdFiles::SgdFiles(const io::OutputParameters &output, const model::ReducedSetting &setting)
    : output(output)
    , names(setting.coordinate_names())
  {
    std::vector<std::string> columns = {"k", "t", "risk_exact", "risk_online", "self_interaction",
                                        "risk_standard_error"};
    for (const auto &name : names)
      columns.push_back("mean_" + name);
    diagnostics.open(output.path("sgd_diagnostics.csv"), columns);
  }

  void
  SgdFiles::write(unsigned int n, unsigned long k, const model::ReducedLawSnapshot &snapshot, double risk_online)
  {
    const unsigned int m = names.size();
    const std::size_t  N = snapshot.weights.size();
    std::vector<double> row = {double(k), snapshot.t, snapshot.risk, risk_online, snapshot.self_interaction,
                               snapshot.risk_standard_error};
    for (unsigned int c = 0; c < m; ++c)
      {
        double mean = 0.;
        for (std::size_t i = 0; i < N; ++i)
          mean += snapshot.points[i * m + c];
        row.push_back(mean / N);
      }
    diagnostics.add_row(row);

    io::CsvWriter reduced(output.path(numbered("sgd_reduced_", n, ".csv")), names);
    reduced.add_rows(snapshot.points.data(), N);

    if (output.write_vtu)
      {
        const std::string name = numbered("sgd_", n, ".vtu");
        write_vtu(output.path(name), snapshot.points);
        pvd_records.emplace_back(snapshot.t, name);
        std::ofstream pvd(output.path("sgd.pvd"));
        dealii::DataOutBase::write_pvd_record(pvd, pvd_records);
      }
  }

  void
  SgdFiles::write_vtu(const std::string &filename, const std::vector<double> &points) const
  {
    const unsigned int m = names.size();
    const std::size_t  N = points.size() / m;
    std::ofstream      out(filename);
    out << std::setprecision(12);
    out << "<?xml version=\"1.0\"?>\n"
        << "<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
        << "<UnstructuredGrid>\n<Piece NumberOfPoints=\"" << N << "\" NumberOfCells=\"" << N << "\">\n"
        << "<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n";
    for (std::size_t i = 0; i < N; ++i)
      {
        for (unsigned int c = 0; c < 3; ++c)
          out << (c < m ? points[i * m + c] : 0.) << (c < 2 ? ' ' : '\n');
      }
    out << "</DataArray>\n</Points>\n<Cells>\n"
        << "<DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n";
    for (std::size_t i = 0; i < N; ++i)
      out << i << '\n';
    out << "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n";
    for (std::size_t i = 0; i < N; ++i)
      out << i + 1 << '\n';
    out << "</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n";
    for (std::size_t i = 0; i < N; ++i)
      out << "1\n"; // VTK_VERTEX
    out << "</DataArray>\n</Cells>\n<PointData>\n";
    for (unsigned int c = 0; c < m; ++c)
      {
        out << "<DataArray type=\"Float64\" Name=\"" << names[c] << "\" format=\"ascii\">\n";
        for (std::size_t i = 0; i < N; ++i)
          out << points[i * m + c] << '\n';
        out << "</DataArray>\n";
      }
    out << "</PointData>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n";
  }
} // namespace mfdd::particles
