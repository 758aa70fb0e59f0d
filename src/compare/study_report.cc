// report.md of a study: the design, the fitted exponents against what MMM19's
// Theorem 1 predicts, the same over the error times (does the width law hold
// while the network learns, does the risk gap cross over to a 1/N law), the
// PDE's own error and the checks.
#include "study_files.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

namespace mfdd::compare::internal
{
  namespace
  {
    std::string
    interval(const PowerLawFit &f)
    {
      return "[" + number(f.exponent - f.half_width, 3) + ", " + number(f.exponent + f.half_width, 3) + "]";
    }

    std::string
    time_label(double t)
    {
      return std::isnan(t) ? std::string("sup") : number(t, 4);
    }

    void
    write_design(std::ofstream &out, const StudyReport &r)
    {
      const auto &p = r.parameters;
      out << "# Convergence of SGD to the distributional dynamics\n\nWidths N: ";
      for (const auto N : p.widths)
        out << N << ' ';
      out << "\nStep sizes epsilon (at N = " << p.largest_width() << "): ";
      for (const auto e : p.step_sizes)
        out << e << ' ';
      out << "\nEvery N at epsilon = " << p.width_sweep_step();
      out << "\nDimensions d: ";
      for (const auto d : p.dimensions)
        out << d << ' ';
      out << "(D = d + " << r.extra_dimension << ")\nSeeds per configuration: " << p.seeds.size();
      if (!p.error_times.empty())
        {
          out << "\nError times: ";
          for (const auto t : p.error_times)
            out << t << ' ';
        }
      out << "\n\nEvery error is the gap between one SGD run and the PDE, as the sup over the output times "
             "t <= T (t = sup below) and at each error time, averaged over seeds (study_summary.csv and "
             "study_summary_by_time.csv: mean and 95% Student-t interval). Exponents are slopes of log(error) "
             "against log(N), log(epsilon) or log(d), fitted by weighted least squares to the seed means, each "
             "weighted by its spread over the seeds; 95% intervals are t_{0.975, seeds-1} standard errors, "
             "widened when the means scatter about the line more than their error bars allow (rates.csv). A rate "
             "is not fitted where the PDE's own error is not 10x below the smallest gap of its sweep.\n\n"
          << "What MMM19 Theorem 1 and the slide's bound sqrt(1/N v D epsilon) predict (the theorem bounds the "
             "sup over t <= T with a constant K e^{KT}, so at every time as well):\n\n"
          << "* in N (at the width sweep's epsilon): exponent -1/2 for W1 and the test functions, and for the "
             "risk gap once the exactly known self-interaction term is removed (risk_gap_no_self). The "
             "raw risk gap carries a bias b/N from the diagonal terms of R_N and can show an exponent "
             "near -1 at small N.\n"
          << "* in epsilon (at the largest N): at least 1/2 (the theorem's sqrt(epsilon)); a bias of order "
             "D epsilon shows as an exponent near 1. Not checked for the risk gap: where a deterministic b(t)/N "
             "dominates it at the largest N, the epsilon-sweep cannot see the step-size term.\n"
          << "* in d (at fixed N and the width sweep's epsilon): none. The width term is dimension-free, so "
             "the error should not grow with d (exponent near 0, ratio largest-d/smallest-d near 1) as "
             "long as D epsilon stays small.\n\n";
    }

    void
    write_exponents(std::ofstream &out, const StudyReport &r)
    {
      out << "## Measured exponents\n\n| metric | t | sweep | at | exponent | 95% interval | theorem |\n"
          << "|---|---|---|---|---|---|---|\n";
      for (const auto &rate : r.rates)
        {
          std::string at, theorem;
          if (rate.sweep == "N")
            {
              at      = "d = " + std::to_string(rate.d) + ", epsilon = " + number(rate.epsilon, 3);
              theorem = rate.metric == "risk_gap" ? "-1/2 (-1 while the self-interaction dominates)" : "-1/2";
            }
          else if (rate.sweep == "epsilon")
            {
              at      = "d = " + std::to_string(rate.d) + ", N = " + std::to_string(rate.N);
              theorem = ">= 1/2 (1 for a D epsilon bias)";
            }
          else
            {
              at = "N = " + std::to_string(rate.N) + ", epsilon = " + number(rate.epsilon, 3) + ", ratio " +
                   number(rate.ratio, 3);
              theorem = "0 (dimension-free)";
            }
          out << "| " << rate.metric << " | " << time_label(rate.t) << " | " << rate.sweep << " | " << at << " | ";
          if (rate.refused)
            out << "not fitted | PDE error " << number(rate.pde_error, 3) << " vs gap " << number(rate.smallest_gap, 3);
          else
            out << number(rate.fit.exponent, 3) << " | " << interval(rate.fit);
          out << " | " << theorem << " |\n";
        }
    }

    // How the N-exponents of the unbiased metrics move with t, in words.
    void
    write_exponents_over_time(std::ofstream &out, const StudyReport &r)
    {
      out << "\n## The width law over the training horizon\n\nexponent_vs_t.png shows the N- and epsilon-"
             "exponents of every metric against t with their 95% bands. The theorem's N-exponent is -1/2 at "
             "every t; the step-size term makes the epsilon-exponent at least 1/2.\n\n";
      for (const auto &metric : r.table.metrics)
        {
          if (!is_clean_metric(metric))
            continue;
          for (const auto &sweep : {std::string("N"), std::string("epsilon")})
            {
              std::string line;
              for (const auto &rate : r.rates)
                if (rate.metric == metric && rate.sweep == sweep && !std::isnan(rate.t))
                  line += (line.empty() ? "" : "; ") + std::string("t = ") + number(rate.t, 4) + " (d = " +
                          std::to_string(rate.d) + "): " +
                          (rate.refused ? std::string("not fitted") :
                                          number(rate.fit.exponent, 3) + " " + interval(rate.fit));
              if (!line.empty())
                out << "* " << metric << ", exponent in " << sweep << ": " << line << ".\n";
            }
        }
    }

    // error_vs_t.png in numbers: the error of each N at the width sweep's epsilon, per t.
    void
    write_growth_in_time(std::ofstream &out, const StudyReport &r)
    {
      const auto       &p         = r.parameters;
      const std::size_t n_metrics = r.table.metrics.size();
      const unsigned    d         = p.dimensions.front();
      out << "\n## Growth of the error with t\n\nerror_vs_t.png: seed means at epsilon = "
          << number(p.width_sweep_step(), 3) << ", one line per N. The theorem allows growth like e^{Kt}. At d = " << d
          << " (mean +- 95% half-width):\n\n| metric | N |";
      for (const double t : r.table.times)
        out << " t = " << number(t, 4) << " |";
      out << "\n|---|---|";
      for (std::size_t k = 0; k < r.table.times.size(); ++k)
        out << "---|";
      out << '\n';
      for (std::size_t m = 0; m < n_metrics; ++m)
        {
          if (!is_clean_metric(r.table.metrics[m]))
            continue;
          for (const auto &c : r.summary)
            if (c.d == d && same_step(c.epsilon, p.width_sweep_step()))
              {
                out << "| " << r.table.metrics[m] << " | " << c.N << " |";
                for (std::size_t k = 1; k <= r.table.times.size(); ++k)
                  out << ' ' << number(c.metrics[k * n_metrics + m].mean, 3) << " +- "
                      << number(c.metrics[k * n_metrics + m].half_width, 2) << " |";
                out << '\n';
              }
        }
    }

    // N_risk_gap_vs_t.png in numbers: does N x gap collapse onto one b(t)?
    void
    write_risk_crossover(std::ofstream &out, const StudyReport &r)
    {
      const auto       &p         = r.parameters;
      const std::size_t n_metrics = r.table.metrics.size();
      const auto        it = std::find(r.table.metrics.begin(), r.table.metrics.end(), "risk_gap_no_self");
      if (it == r.table.metrics.end())
        return;
      const std::size_t m = it - r.table.metrics.begin();
      out << "\n## The risk gap: N^(-1/2) fluctuations or a 1/N law\n\nN_risk_gap_vs_t.png plots N x "
             "risk_gap_no_self against t for every N. Where the dynamics approaches a minimiser, the first "
             "variation of R vanishes on the support of the law and the gap becomes a deterministic b(t)/N: the "
             "curves collapse. While the N^(-1/2) fluctuations dominate, sqrt(N) x gap collapses instead. Per t, "
             "the spread over N (largest over smallest seed mean) of both products at epsilon = "
          << number(p.width_sweep_step(), 3) << ":\n\n| d | t | N x gap (by N) | spread | sqrt(N) x gap spread | closer to |\n"
          << "|---|---|---|---|---|---|\n";
      for (const unsigned d : p.dimensions)
        for (std::size_t k = 1; k <= r.table.times.size(); ++k)
          {
            double      lo_n = std::numeric_limits<double>::infinity(), hi_n = 0., lo_s = lo_n, hi_s = 0.;
            std::string products;
            unsigned    count = 0;
            for (const auto &c : r.summary)
              if (c.d == d && same_step(c.epsilon, p.width_sweep_step()))
                {
                  const double gap = c.metrics[k * n_metrics + m].mean;
                  if (!(gap > 0.))
                    continue;
                  const double by_n = c.N * gap, by_sqrt = std::sqrt(double(c.N)) * gap;
                  lo_n = std::min(lo_n, by_n), hi_n = std::max(hi_n, by_n);
                  lo_s = std::min(lo_s, by_sqrt), hi_s = std::max(hi_s, by_sqrt);
                  products += (products.empty() ? "" : ", ") + number(by_n, 3);
                  ++count;
                }
            if (count < 2)
              continue;
            out << "| " << d << " | " << number(r.table.times[k - 1], 4) << " | " << products << " | "
                << number(hi_n / lo_n, 3) << " | " << number(hi_s / lo_s, 3) << " | "
                << (hi_n / lo_n < hi_s / lo_s ? "1/N (collapse onto b(t))" : "N^(-1/2)") << " |\n";
          }
    }

    // The signed differences split into bias and fluctuation, along the N-sweep.
    void
    write_bias_fluctuation(std::ofstream &out, const StudyReport &r)
    {
      const auto &p = r.parameters;
      out << "\n## Bias and fluctuation of the signed differences\n\nPer run, q = SGD minus PDE at each error "
             "time: the risk without the self-interaction (risk_difference_no_self) and the integral of each test "
             "function (test_difference_i). Over the seeds of a configuration, the mean of q is its deterministic "
             "part (the bias: beta(t)/N from the finite width, plus O(D epsilon) from the step) and the standard "
             "deviation its random part (the fluctuation: sigma(t) N^(-1/2), plus the step's noise). A gap E|q| "
             "follows N^(-1/2) only where the fluctuation dominates the bias. N-exponents at epsilon = "
          << number(p.width_sweep_step(), 3)
          << " with 95% intervals; the bias exponent is that of |mean| and means something only where the bias "
             "is resolved (mean outside its 95% interval around 0) at every N; it is not fitted where the PDE's "
             "own error is not 10x below the smallest resolved |mean| (bias_fluctuation.csv, "
             "bias_fluctuation_rates.csv, bias_fluctuation_vs_N.png):\n\n"
          << "| quantity | t | d | bias exponent | resolved | fluctuation exponent | N x bias (by N) | sqrt(N) x "
             "fluctuation (by N) | bias / fluctuation at N = "
          << p.largest_width() << " |\n|---|---|---|---|---|---|---|---|---|\n";
      for (const auto &rate : r.part_rates)
        {
          if (rate.sweep != "N" || rate.points == 0) // no values: R_N not recorded at that time
            continue;
          std::string by_n, by_sqrt_n, ratio = "-";
          for (const auto &part : r.parts)
            if (part.quantity == rate.quantity && part.t == rate.t && part.d == rate.d &&
                same_step(part.epsilon, p.width_sweep_step()))
              {
                by_n += (by_n.empty() ? "" : ", ") + number(part.N * part.bias.mean, 3);
                by_sqrt_n +=
                  (by_sqrt_n.empty() ? "" : ", ") + number(std::sqrt(double(part.N)) * part.fluctuation.std_dev, 3);
                if (part.N == p.largest_width())
                  ratio = number(std::abs(part.bias.mean) / part.fluctuation.std_dev, 3);
              }
          out << "| " << rate.quantity << " | " << number(rate.t, 4) << " | " << rate.d << " | "
              << (rate.bias_refused ? "not fitted (PDE error " + number(rate.pde_error, 3) + ")" :
                                      number(rate.bias.exponent, 3) + " " + interval(rate.bias))
              << " | " << rate.bias_resolved << " of "
              << rate.points << " | " << number(rate.fluctuation.exponent, 3) << " " << interval(rate.fluctuation)
              << " | " << by_n << " | " << by_sqrt_n << " | " << ratio << " |\n";
        }
    }

    void
    write_pde_error(std::ofstream &out, const StudyReport &r)
    {
      const auto &names = r.table.metrics;
      out << "\n## The PDE's own error\n\nSup over t of the gap between the PDE at the study's resolution "
             "and at a finer one, per d (pde_error.csv also holds it at every error time):\n\n| d |";
      for (const auto &m : names)
        out << ' ' << m << " |";
      out << "\n|---|";
      for (std::size_t m = 0; m < names.size(); ++m)
        out << "---|";
      out << '\n';
      for (const auto &row : r.pde_error)
        {
          out << "| " << number(row[0]) << " |";
          for (std::size_t m = 1; m <= names.size() && m < row.size(); ++m)
            out << ' ' << number(row[m], 3) << " |";
          out << '\n';
        }
    }
  } // namespace

  void
  write_study_report(const std::string &filename, const StudyReport &report)
  {
    std::ofstream out(filename);
    write_design(out, report);
    write_exponents(out, report);
    if (!report.table.times.empty())
      {
        write_exponents_over_time(out, report);
        write_growth_in_time(out, report);
        write_risk_crossover(out, report);
        if (!report.part_rates.empty())
          write_bias_fluctuation(out, report);
      }
    write_pde_error(out, report);
    out << "\n## Checks of the width and step-size laws\n\n";
    for (const auto &c : report.checks)
      out << "* " << c << '\n';
    out << "\nPlots: error_vs_N.png, error_vs_epsilon.png, error_vs_D_epsilon.png (sup over t)";
    if (!report.table.times.empty())
      out << ", exponent_vs_t.png, error_vs_t.png, N_risk_gap_vs_t.png, bias_fluctuation_vs_N.png";
    out << ".\n";
  }
} // namespace mfdd::compare::internal
