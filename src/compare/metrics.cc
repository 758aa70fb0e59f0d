#include <mfdd/compare/metrics.h>
#include <mfdd/compare/wasserstein.h>
#include <mfdd/io/input_error.h>

#include <cmath>
#include <limits>

namespace mfdd::compare
{
  SnapshotMetrics::SnapshotMetrics(std::vector<std::string> coordinate_names,
                                   TestFunctions            test_functions,
                                   unsigned int             sliced_directions)
    : coordinates(std::move(coordinate_names))
    , functions(std::move(test_functions))
    , directions(sliced_directions)
  {
    metric_names = {"risk_gap", "risk_gap_no_self"};
    if (coordinates.size() == 1)
      metric_names.push_back("w1");
    else
      {
        for (const auto &name : coordinates)
          metric_names.push_back("w1_" + name);
        metric_names.push_back("sliced_w1");
      }
    signed_names = {"risk_difference_no_self"};
    for (std::size_t i = 0; i < functions.size(); ++i)
      {
        metric_names.push_back("test_gap_" + std::to_string(i + 1));
        signed_names.push_back("test_difference_" + std::to_string(i + 1));
      }
  }

  std::vector<double>
  SnapshotMetrics::operator()(const model::ReducedLawSnapshot &reference, const model::ReducedLawSnapshot &other) const
  {
    const unsigned int  dim = coordinates.size();
    std::vector<double> values;
    values.push_back(std::abs(other.risk - reference.risk));
    values.push_back(std::abs(other.risk - other.self_interaction - reference.risk));
    for (unsigned int k = 0; k < dim; ++k)
      values.push_back(wasserstein1(distribution_of_coordinate(reference, dim, k),
                                    distribution_of_coordinate(other, dim, k)));
    if (dim > 1)
      values.push_back(sliced_wasserstein1(reference, other, dim, directions));
    for (std::size_t i = 0; i < functions.size(); ++i)
      values.push_back(std::abs(functions.integral(i, other) - functions.integral(i, reference)));
    return values;
  }

  std::vector<double>
  SnapshotMetrics::differences(const model::ReducedLawSnapshot &reference,
                               const model::ReducedLawSnapshot &other) const
  {
    std::vector<double> values = {other.risk - other.self_interaction - reference.risk};
    for (std::size_t i = 0; i < functions.size(); ++i)
      values.push_back(functions.integral(i, other) - functions.integral(i, reference));
    return values;
  }

  std::vector<std::vector<double>>
  compare_trajectories(const SnapshotMetrics              &metrics,
                       const model::ReducedLawTrajectory &reference,
                       const model::ReducedLawTrajectory &other)
  {
    if (reference.size() != other.size())
      throw io::RunError("the evolutions to compare have " + std::to_string(reference.size()) + " and " +
                         std::to_string(other.size()) + " output times; both must record the same times");
    std::vector<std::vector<double>> rows;
    for (std::size_t k = 0; k < reference.size(); ++k)
      {
        // SGD records step floor(t/epsilon): its time may sit up to one step
        // below the PDE's; anything beyond a quarter interval is a mismatch.
        const double spacing = reference.size() > 1 ? reference[1].t - reference[0].t : 1.;
        if (std::abs(reference[k].t - other[k].t) > 0.25 * spacing)
          throw io::RunError("output times do not match: t = " + std::to_string(reference[k].t) + " and t = " +
                             std::to_string(other[k].t));
        rows.push_back(metrics(reference[k], other[k]));
      }
    return rows;
  }

  std::vector<double>
  sup_over_time(const std::vector<std::vector<double>> &rows)
  {
    std::vector<double> sup(rows.empty() ? 0 : rows[0].size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto &row : rows)
      for (std::size_t j = 0; j < row.size(); ++j)
        if (!std::isnan(row[j]) && !(row[j] <= sup[j]))
          sup[j] = row[j];
    return sup;
  }
} // namespace mfdd::compare
