#pragma once

#include <mfdd/io/output.h>
#include <mfdd/model/reduced_law.h>
#include <mfdd/model/reduced_setting.h>

#include <string>
#include <utility>
#include <vector>

namespace mfdd::particles
{
  /**
   * The files of an SGD run (rank 0 only): sgd_diagnostics.csv (one row per
   * output time), sgd_reduced_<n>.csv (one row per neuron) and, if asked for,
   * sgd_<n>.vtu point clouds with sgd.pvd. The VTU points are the reduced
   * coordinates padded with zeros to 3D, in the PDE's axis order, so ParaView
   * overlays them on the PDE density.
   */
  class SgdFiles
  {
  public:
    SgdFiles(const io::OutputParameters &output, const model::ReducedSetting &setting);

    void
    write(unsigned int n, unsigned long k, const model::ReducedLawSnapshot &snapshot, double risk_online);

  private:
    void
    write_vtu(const std::string &name, const std::vector<double> &points) const;

    const io::OutputParameters                  output;
    const std::vector<std::string>              names;
    io::CsvWriter                               diagnostics;
    std::vector<std::pair<double, std::string>> pvd_records;
  };
} // namespace mfdd::particles
