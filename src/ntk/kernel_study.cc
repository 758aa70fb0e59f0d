#include <mfdd/compare/metrics.h>
#include <mfdd/compare/statistics.h>
#include <mfdd/io/input_error.h>
#include <mfdd/io/plot_script.h>
#include <mfdd/ntk/kernel_limit.h>
#include <mfdd/ntk/kernel_study.h>
#include <mfdd/ntk/tangent_model.h>

#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>

namespace mfdd::ntk
{
  namespace
  {
    const char *const convention =
      "mfdd time t is the (DD) time for every alpha: SGD theta += (2 s_k/alpha)(y - f_alpha) "
      "grad sigma_*, PDE d_t rho = (2 xi/alpha) div(rho grad Psi_alpha); the residual obeys d_t u = -2 xi H u and "
      "the kernel limit is u*_t = exp(-2 H_{rho_0} int_0^t xi) u_0, i.e. doc/theory.md §6's exp(-H t_6) u_0 at "
      "t_6 = 2 int_0^t xi";

    /// The output times k * interval up to T (T included), as the PDE and SGD record them.
    std::vector<double>
    output_times(double final_time, double interval)
    {
      std::vector<double> times;
      for (unsigned int k = 0; k * interval < final_time * (1. - 1e-12); ++k)
        times.push_back(k * interval);
      times.push_back(final_time);
      return times;
    }

    double
    sup_abs_difference(const std::vector<double> &a, const std::vector<double> &b)
    {
      double largest = 0.;
      for (unsigned int i = 0; i < a.size(); ++i)
        if (std::isfinite(a[i]) && std::isfinite(b[i]))
          largest = std::max(largest, std::abs(a[i] - b[i]));
      return largest;
    }

    /// What one alpha produced: curves over the output times and their sups.
    struct AlphaResult
    {
      double              alpha;
      std::vector<double> risk_pde, distance_pde, risk_sgd_mean, risk_sgd_ci, distance_sgd;
      double              gap_pde = NAN, gap_sgd = NAN, sup_distance_pde = NAN, sup_distance_sgd = NAN;
      double              pde_error_risk = NAN, pde_error_distance = NAN;
    };

    /// Sliced W1 between snapshot t and snapshot 0 of a trajectory (the
    /// distance of rho-bar_t from rho-bar_0 in the reduced coordinates (a, r)).
    std::vector<double>
    distance_from_start(const model::ReducedLawTrajectory &trajectory, const compare::SnapshotMetrics &metrics)
    {
      const auto        &names = metrics.names();
      const unsigned int index = std::find(names.begin(), names.end(), "sliced_w1") - names.begin();
      std::vector<double> distance;
      for (const auto &snapshot : trajectory)
        distance.push_back(metrics(trajectory.front(), snapshot)[index]);
      return distance;
    }
  } // namespace

  KernelStudy::KernelStudy(model::Problem problem, KernelLimitParameters parameters, io::OutputParameters output,
                           std::string time_name)
    : problem(std::move(problem))
    , parameters(std::move(parameters))
    , output(std::move(output))
    , time_name(std::move(time_name))
  {}

  const char *
  KernelStudy::time_convention()
  {
    return convention;
  }

  void
  KernelStudy::run(const ScaledEvolutions &evolutions, unsigned int first_sgd_seed) const
  {
    const bool section6 = parameters.time_units == KernelLimitParameters::TimeUnits::section6;
    const bool root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    const std::vector<double> times = output_times(problem.final_time, output.interval);
    if (root)
      std::cout << "kernel: " << time_convention() << (section6 ? "; times written are t_6" : "; times written are t")
                << std::endl;

    // 1. The kernel limit.
    const KernelLimit limit(problem, parameters.discretisation);
    std::vector<double>    risk_kernel, residual_kernel;
    for (const double t : times)
      {
        risk_kernel.push_back(limit.risk(t));
        residual_kernel.push_back(limit.residual_norm(t));
      }
    if (root)
      std::cout << "kernel limit: " << limit.radial_law().size() << " radial nodes, eigenvalues of H in ["
                << limit.eigenvalues()[0] << ", " << limit.eigenvalues()[limit.eigenvalues().size() - 1]
                << "], E[Var(y|x)] = " << limit.radial_law().conditional_variance()
                << ", risk at the final time " << risk_kernel.back() << std::endl;

    // 2. The tangent model (independent of alpha in mfdd time; see TangentModel).
    std::vector<double> risk_tangent_mean(times.size(), NAN), risk_tangent_ci(times.size(), NAN);
    if (parameters.run_tangent_model)
      {
        std::vector<std::vector<double>> per_seed(times.size());
        io::ProgressReporter progress("tangent model", parameters.tangent_seeds, root);
        for (unsigned int seed = 1; seed <= parameters.tangent_seeds; ++seed)
          {
            TangentModel model(problem, parameters.tangent_neurons, parameters.tangent_epsilon, seed,
                                    MPI_COMM_WORLD);
            model.draw_test_sample(parameters.test_sample_size);
            for (unsigned int i = 0; i < times.size(); ++i)
              {
                model.train(times[i]);
                per_seed[i].push_back(model.risk(limit.radial_law()).risk);
              }
            progress.update(seed);
          }
        for (unsigned int i = 0; i < times.size(); ++i)
          {
            const auto interval  = compare::mean_with_interval(per_seed[i]);
            risk_tangent_mean[i] = interval.mean;
            risk_tangent_ci[i]   = interval.half_width;
          }
      }

    // 3. The alpha-scaled PDE and SGD.
    const compare::SnapshotMetrics metrics({"a", "r"}, compare::TestFunctions(), 16);
    std::vector<AlphaResult>       results;
    for (const double alpha : parameters.alphas)
      {
        model::Problem scaled = problem;
        scaled.alpha          = alpha;
        AlphaResult result;
        result.alpha = alpha;
        result.risk_pde.assign(times.size(), NAN);
        result.distance_pde.assign(times.size(), NAN);
        result.risk_sgd_mean.assign(times.size(), NAN);
        result.risk_sgd_ci.assign(times.size(), NAN);
        result.distance_sgd.assign(times.size(), NAN);
        if (parameters.run_pde)
          {
            if (root)
              std::cout << "kernel: PDE at alpha = " << alpha << std::endl;
            // With the error estimate the solve is done twice, the second one level
            // finer, and the finer one is reported: its error is below the change
            // (order 2 on a law with jumps, e.g. uniform a, d = 40, alpha = 32, T = 0.5,
            // default mesh: sup_t risk error 3.6e-4, 9.2e-5, 2.2e-5 on levels 0, 1, 2
            // against level 3), and errors in rho count alpha times in the risk.
            const auto coarse     = evolutions.pde(scaled, 0);
            const auto trajectory = parameters.pde_error_estimate ? evolutions.pde(scaled, 1) : coarse;
            for (const auto *run : {&coarse, &trajectory})
              if (run->size() != times.size())
                throw io::RunError("kernel: the PDE recorded " + std::to_string(run->size()) +
                                   " output times, expected " + std::to_string(times.size()));
            for (unsigned int i = 0; i < times.size(); ++i)
              result.risk_pde[i] = trajectory[i].risk;
            result.distance_pde     = distance_from_start(trajectory, metrics);
            result.gap_pde          = sup_abs_difference(result.risk_pde, risk_kernel);
            result.sup_distance_pde = *std::max_element(result.distance_pde.begin(), result.distance_pde.end());
            if (parameters.pde_error_estimate)
              {
                std::vector<double> risk_coarse;
                for (const auto &snapshot : coarse)
                  risk_coarse.push_back(snapshot.risk);
                result.pde_error_risk     = sup_abs_difference(result.risk_pde, risk_coarse);
                result.pde_error_distance = sup_abs_difference(result.distance_pde, distance_from_start(coarse, metrics));
              }
          }
        if (parameters.run_sgd)
          {
            if (root)
              std::cout << "kernel: SGD at alpha = " << alpha << " (" << parameters.sgd_seeds << " seeds)" << std::endl;
            std::vector<std::vector<double>> risks(times.size()), distances(times.size());
            for (unsigned int s = 0; s < parameters.sgd_seeds; ++s)
              {
                const auto trajectory = evolutions.sgd(scaled, first_sgd_seed + s);
                if (trajectory.size() != times.size())
                  throw io::RunError("kernel: SGD recorded " + std::to_string(trajectory.size()) +
                                     " output times, expected " + std::to_string(times.size()));
                const auto distance = distance_from_start(trajectory, metrics);
                for (unsigned int i = 0; i < times.size(); ++i)
                  {
                    risks[i].push_back(trajectory[i].risk);
                    distances[i].push_back(distance[i]);
                  }
              }
            for (unsigned int i = 0; i < times.size(); ++i)
              {
                const auto risk         = compare::mean_with_interval(risks[i]);
                result.risk_sgd_mean[i] = risk.mean;
                result.risk_sgd_ci[i]   = risk.half_width;
                result.distance_sgd[i]  = compare::mean_with_interval(distances[i]).mean;
              }
            result.gap_sgd          = sup_abs_difference(result.risk_sgd_mean, risk_kernel);
            result.sup_distance_sgd = *std::max_element(result.distance_sgd.begin(), result.distance_sgd.end());
          }
        results.push_back(result);
      }

    if (!root)
      return;

    // 4. Files: kernel.csv (one row per alpha and time), kernel_summary.csv, kernel_rates.csv, kernel_report.md.
    {
      io::CsvWriter csv(output.path("kernel.csv"),
                        {"alpha", time_name, "risk_kernel", "residual_norm_kernel", "risk_tangent_mean",
                         "risk_tangent_ci", "risk_pde", "distance_pde", "risk_sgd_mean", "risk_sgd_ci",
                         "distance_sgd"});
      for (const auto &r : results)
        for (unsigned int i = 0; i < times.size(); ++i)
          csv.add_row({r.alpha, times[i], risk_kernel[i], residual_kernel[i], risk_tangent_mean[i],
                       risk_tangent_ci[i], r.risk_pde[i], r.distance_pde[i], r.risk_sgd_mean[i], r.risk_sgd_ci[i],
                       r.distance_sgd[i]});
      if (results.empty())
        for (unsigned int i = 0; i < times.size(); ++i)
          csv.add_row({NAN, times[i], risk_kernel[i], residual_kernel[i], risk_tangent_mean[i], risk_tangent_ci[i],
                       NAN, NAN, NAN, NAN, NAN});
    }
    {
      io::CsvWriter csv(output.path("kernel_summary.csv"),
                        {"alpha", "sup_gap_pde", "sup_gap_sgd", "sup_distance_pde", "sup_distance_sgd",
                         "pde_error_risk", "pde_error_distance"});
      for (const auto &r : results)
        csv.add_row({r.alpha, r.gap_pde, r.gap_sgd, r.sup_distance_pde, r.sup_distance_sgd, r.pde_error_risk,
                     r.pde_error_distance});
    }

    // Fitted slopes against alpha; a PDE slope only where the PDE's own error
    // sits below the smallest quantity it would be fitted to.
    std::ofstream report(output.path("kernel_report.md"));
    report << "# mfdd kernel: alpha-scaled dynamics against the kernel limit\n\n"
           << "Time convention: " << time_convention() << ". Times written: "
           << (section6 ? "t_6 (doc/theory.md §6 units)" : "t (mfdd units)") << ".\n\n"
           << "Kernel limit: " << limit.radial_law().size() << " radial nodes; E[Var(y|x)] = "
           << limit.radial_law().conditional_variance() << "; risk_kernel(" << times.back()
           << ") = " << risk_kernel.back() << ".\n";
    if (parameters.run_tangent_model)
      {
        double largest = 0., band = 0.;
        for (unsigned int i = 0; i < times.size(); ++i)
          if (std::abs(risk_tangent_mean[i] - risk_kernel[i]) > largest)
            {
              largest = std::abs(risk_tangent_mean[i] - risk_kernel[i]);
              band    = risk_tangent_ci[i];
            }
        report << "Tangent model (N = " << parameters.tangent_neurons << ", epsilon = " << parameters.tangent_epsilon
               << ", " << parameters.tangent_seeds << " seeds): sup_t |risk_tangent - risk_kernel| = " << largest
               << " where the 95% band half-width is " << band << ".\n";
      }
    report << "\n| alpha | sup gap PDE | sup gap SGD | sup distance PDE | PDE error (risk) | PDE error (distance) |\n"
           << "|---|---|---|---|---|---|\n";
    for (const auto &r : results)
      report << "| " << r.alpha << " | " << r.gap_pde << " | " << r.gap_sgd << " | " << r.sup_distance_pde << " | "
             << r.pde_error_risk << " | " << r.pde_error_distance << " |\n";

    io::CsvWriter rates(output.path("kernel_rates.csv"), {"quantity", "slope", "half_width", "n_points", "fitted"});
    report << "\nFitted slopes against alpha (log-log least squares; theory: gap and distance of order 1/alpha):\n\n";
    auto fit = [&](const std::string &name, unsigned int id, auto value, auto error) {
      std::vector<double> x, y;
      double              smallest = std::numeric_limits<double>::infinity(), largest_error = 0.;
      for (const auto &r : results)
        if (std::isfinite(value(r)))
          {
            x.push_back(r.alpha);
            y.push_back(value(r));
            smallest = std::min(smallest, value(r));
            if (std::isfinite(error(r)))
              largest_error = std::max(largest_error, error(r));
          }
      if (x.size() < 2)
        return;
      if (largest_error >= smallest)
        {
          report << "- " << name << ": NOT FITTED: the PDE's own error " << largest_error
                 << " is not below the smallest value " << smallest << "\n";
          rates.add_row({double(id), NAN, NAN, double(x.size()), 0.});
          return;
        }
      const auto power = compare::fit_power_law(x, y);
      report << "- " << name << ": slope " << power.exponent << " +- " << power.half_width << " (" << power.n_points
             << " alphas";
      if (largest_error > 0.)
        report << "; largest PDE error " << largest_error << " < smallest value " << smallest;
      report << ")\n";
      rates.add_row({double(id), power.exponent, power.half_width, double(power.n_points), 1.});
    };
    auto none = [](const AlphaResult &) { return double(NAN); };
    fit("sup_t |risk_pde - risk_kernel|", 0, [](const AlphaResult &r) { return r.gap_pde; },
        [](const AlphaResult &r) { return r.pde_error_risk; });
    fit("sup_t distance(rho_pde_t, rho_pde_0)", 1, [](const AlphaResult &r) { return r.sup_distance_pde; },
        [](const AlphaResult &r) { return r.pde_error_distance; });
    fit("sup_t |risk_sgd - risk_kernel|", 2, [](const AlphaResult &r) { return r.gap_sgd; }, none);
    fit("sup_t distance(sgd_t, sgd_0)", 3, [](const AlphaResult &r) { return r.sup_distance_sgd; }, none);
    report << "\nkernel_rates.csv quantity ids: 0 PDE risk gap, 1 PDE distance, 2 SGD risk gap, 3 SGD distance.\n";
    report.close();

    // 5. Plots (matplotlib, Debian's python3); a missing plotting tool is not an error of the run.
    if (parameters.plots)
      {
        const std::string script = io::find_plot_script("plot_kernel.py");
        const std::string command = "/usr/bin/python3 '" + script + "' '" + output.folder + "'";
        if (script.empty() || std::system(command.c_str()) != 0)
          std::cerr << "mfdd: warning: plotting failed (" << (script.empty() ? "scripts/plot_kernel.py not found" : command)
                    << "); the CSV files are complete" << std::endl;
      }
    std::ifstream summary(output.path("kernel_report.md"));
    std::cout << summary.rdbuf() << std::endl;
  }
} // namespace mfdd::ntk
