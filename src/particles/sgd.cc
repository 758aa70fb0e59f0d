#include <mfdd/io/input_error.h>
#include <mfdd/particles/sgd.h>

#include "activation_batch.h"
#include "linear_algebra.h"
#include "ordered_sum.h"
#include "sgd_files.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace mfdd::particles
{
  double
  neuron_output_and_gradient(const model::Problem &problem, double a, const double *w, const double *x, double *gradient)
  {
    const unsigned int d = problem.d;
    double             h = 0.;
    for (unsigned int j = 0; j < d; ++j)
      h += w[j] * x[j];
    const double sigma  = problem.activation->value(h);
    const double dsigma = problem.activation->derivative(h);
    if (!problem.trainable_second_layer)
      {
        for (unsigned int j = 0; j < d; ++j)
          gradient[j] = dsigma * x[j];
        return sigma;
      }
    gradient[0] = sigma;
    for (unsigned int j = 0; j < d; ++j)
      gradient[1 + j] = a * dsigma * x[j];
    return a * sigma;
  }

  namespace
  {
    int
    rank_of(MPI_Comm comm)
    {
      int rank;
      MPI_Comm_rank(comm, &rank);
      return rank;
    }
  } // namespace

  SgdSimulator::SgdSimulator(const model::Problem &problem,
                             const SgdParameters  &parameters,
                             unsigned int          seed,
                             MPI_Comm              comm)
    : problem(problem)
    , parameters(parameters)
    , seed(seed)
    , comm(comm)
    , d(problem.d)
  {
    parameters.check(problem);
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    // Contiguous blocks whose sizes differ by at most one.
    const unsigned int N = parameters.N, base = N / size, extra = N % size;
    n_mine = base + (unsigned(rank) < extra ? 1 : 0);
    first  = rank * base + std::min<unsigned int>(rank, extra);

    const unsigned int B = parameters.batch_size;
    sigma_values.resize(std::size_t(n_mine) * B);
    sigma_derivatives.resize(std::size_t(n_mine) * B);
    output_sum = std::make_shared<OrderedSum>(N, first, n_mine, comm);
    initialise_neurons();
  }

  void
  SgdSimulator::initialise_neurons()
  {
    const RandomStreams random(seed);
    const auto         &law = problem.initial_law;
    const double        std = law.kappa / std::sqrt(double(d));
    w.resize(std::size_t(n_mine) * d);
    a.assign(n_mine, 1.);
    for (unsigned int l = 0; l < n_mine; ++l)
      {
        const unsigned int i = first + l;
        // Symmetric: neuron 2j + 1 is neuron 2j with its amplitude negated.
        const unsigned int source = parameters.symmetric_initialisation ? i / 2 : i;
        random.normals(RandomStreams::initial_weights, source, 0, &w[std::size_t(l) * d], d);
        for (unsigned int j = 0; j < d; ++j)
          w[std::size_t(l) * d + j] *= std;
        if (!problem.trainable_second_layer)
          continue;
        const double width = law.a_upper - law.a_lower;
        switch (law.a_law)
          {
            case model::InitialLaw::AmplitudeLaw::constant:
              a[l] = law.a_lower;
              break;
            case model::InitialLaw::AmplitudeLaw::uniform:
              a[l] = law.a_lower + width * random.uniform(RandomStreams::initial_weights, source, 1, 0);
              break;
            case model::InitialLaw::AmplitudeLaw::bump:
              // Rejection from the uniform law: accept x in [-1, 1] with probability (1 - x^2)^2.
              for (std::uint64_t m = 0;; m += 2)
                {
                  const double x = 2. * random.uniform(RandomStreams::initial_weights, source, 1, m) - 1.;
                  if (random.uniform(RandomStreams::initial_weights, source, 1, m + 1) <= (1. - x * x) * (1. - x * x))
                    {
                      a[l] = law.a_lower + 0.5 * width * (x + 1.);
                      break;
                    }
                }
              break;
          }
        if (parameters.symmetric_initialisation && i % 2 == 1)
          a[l] = -a[l];
      }
  }

  double
  SgdSimulator::step_size(unsigned long step) const
  {
    return parameters.epsilon * problem.xi(step * parameters.epsilon);
  }

  void
  SgdSimulator::samples(unsigned long step, std::vector<double> &x, std::vector<double> &y) const
  {
    const RandomStreams random(seed);
    const unsigned int  B = parameters.batch_size;
    x.resize(std::size_t(B) * d);
    y.resize(B);
    for (unsigned int b = 0; b < B; ++b)
      {
        const bool plus = random.uniform(RandomStreams::sample_labels, step, b, 0) < 0.5;
        y[b]            = plus ? 1. : -1.;
        double *xb      = &x[std::size_t(b) * d];
        random.normals(RandomStreams::sample_inputs, step, b, xb, d);
        problem.data.scale_to_class(plus, xb);
      }
  }

  double
  SgdSimulator::update(const std::vector<double> &x, const std::vector<double> &y, double s, unsigned long step)
  {
    const unsigned int B         = parameters.batch_size;
    const bool         trainable = problem.trainable_second_layer;
    const auto        &sigma     = *problem.activation;
    restore_weights();

    // h_bi = <w_i, x_b>, then sigma and sigma' there (arrays B x n_local);
    // the batch predictions are the only communication of a step.
    std::vector<double> prediction(B, 0.);
    for (unsigned int b = 0; b < B; ++b)
      {
        double *h  = &sigma_values[std::size_t(b) * n_mine];
        double *dh = &sigma_derivatives[std::size_t(b) * n_mine];
        multiply_rows(w.data(), n_mine, d, &x[std::size_t(b) * d], h);
        evaluate_activation(sigma, n_mine, h, dh);
      }
    output_sum->sum(a.data(), sigma_values.data(), n_mine, B, prediction.data());

    std::vector<double> coefficient(B);
    const double        loss = step_coefficients(y.data(), prediction.data(), s, step, coefficient.data());

    // theta_i = (1 - 2 lambda s) theta_i + sum_b c_b grad sigma_*(x_b; theta_i) + noise,
    // every gradient taken at the old theta_i: a's increment uses the old a.
    const double decay = 1. - 2. * problem.weight_decay * s;
    std::vector<double> amplitude_increment(trainable ? n_mine : 0, 0.);
    for (unsigned int b = 0; b < B; ++b)
      {
        double       *factor = &sigma_derivatives[std::size_t(b) * n_mine];
        const double *value  = &sigma_values[std::size_t(b) * n_mine];
        for (unsigned int l = 0; l < n_mine; ++l)
          {
            if (trainable)
              amplitude_increment[l] += coefficient[b] * value[l];
            factor[l] *= coefficient[b] * a[l];
          }
      }
    if (decay != 1.)
      {
        for (double &v : w)
          v *= decay;
        if (trainable)
          for (double &v : a)
            v *= decay;
      }
    for (unsigned int b = 0; b < B; ++b)
      add_rank_one(w.data(), n_mine, d, &sigma_derivatives[std::size_t(b) * n_mine], &x[std::size_t(b) * d]);
    if (trainable)
      for (unsigned int l = 0; l < n_mine; ++l)
        a[l] += amplitude_increment[l];

    if (problem.temperature > 0.)
      {
        const unsigned int  D           = problem.neuron_dimension();
        const double        noise_scale = std::sqrt(2. * s * problem.temperature / D);
        const RandomStreams random(seed);
        std::vector<double> g(D);
        for (unsigned int l = 0; l < n_mine; ++l)
          {
            random.normals(RandomStreams::noise, first + l, step, g.data(), D);
            const double *gw = g.data() + (trainable ? 1 : 0);
            if (trainable)
              a[l] += noise_scale * g[0];
            double *wl = &w[std::size_t(l) * d];
            for (unsigned int j = 0; j < d; ++j)
              wl[j] += noise_scale * gw[j];
          }
      }
    return loss;
  }

  double
  SgdSimulator::step_coefficients(const double *y, const double *prediction, double s, unsigned long step,
                                  double *coefficient) const
  {
    const unsigned int B    = parameters.batch_size;
    double             loss = 0.;
    for (unsigned int b = 0; b < B; ++b)
      {
        const double residual = y[b] - problem.alpha * prediction[b] / parameters.N;
        if (!std::isfinite(residual))
          throw io::RunError("SGD: the network output is not finite at step " + std::to_string(step) +
                             " (t = " + std::to_string(step * parameters.epsilon) +
                             "); reduce SGD/Step size epsilon");
        loss += residual * residual / B;
        coefficient[b] = 2. * s / problem.alpha * residual / B;
      }
    return loss;
  }

  double
  SgdSimulator::fused_steps(unsigned long end)
  {
    if (k >= end)
      return 0.;
    const bool   trainable = problem.trainable_second_layer;
    double      *h = sigma_values.data(), *dh = sigma_derivatives.data();
    samples(k, x_batch, y_batch);
    multiply_rows(w.data(), n_mine, d, x_batch.data(), h);
    double loss = 0.;
    for (; k < end; ++k)
      {
        const double s = step_size(k);
        evaluate_activation(*problem.activation, n_mine, h, dh);
        double prediction, coefficient;
        output_sum->sum(a.data(), h, n_mine, 1, &prediction);
        loss += step_coefficients(y_batch.data(), &prediction, s, k, &coefficient);
        for (unsigned int l = 0; l < n_mine; ++l)
          dh[l] *= coefficient * a[l];
        if (trainable)
          {
            // As update(): the increment rounded on its own, then added (with
            // FMA contraction, a += c h would round once and differ from update()).
            for (unsigned int l = 0; l < n_mine; ++l)
              h[l] *= coefficient;
            for (unsigned int l = 0; l < n_mine; ++l)
              a[l] += h[l];
          }
        if (k + 1 < end)
          {
            samples(k + 1, x_next, y_next);
            add_rank_one_and_multiply(w.data(), n_mine, d, dh, x_batch.data(), x_next.data(), h);
            std::swap(x_batch, x_next);
            std::swap(y_batch, y_next);
          }
        else
          add_rank_one(w.data(), n_mine, d, dh, x_batch.data());
      }
    return loss;
  }

  double
  SgdSimulator::advance(unsigned long end, bool keep_block_layout)
  {
    if (parameters.steps_per_block(problem) > 1 && problem.temperature == 0.)
      return blocked_steps(end, keep_block_layout);
    restore_weights();
    if (parameters.batch_size == 1 && problem.temperature == 0. && problem.weight_decay == 0.)
      return fused_steps(end);
    double loss = 0.;
    for (; k < end; ++k)
      {
        samples(k, x_batch, y_batch);
        loss += update(x_batch, y_batch, step_size(k), k);
      }
    return loss;
  }

  void
  SgdSimulator::step()
  {
    samples(k, x_batch, y_batch);
    update(x_batch, y_batch, step_size(k), k);
    ++k;
  }

  const kernels::NetworkRisk &
  SgdSimulator::risk_kernels() const
  {
    if (!network_risk)
      const_cast<SgdSimulator *>(this)->network_risk = std::make_shared<kernels::NetworkRisk>(problem);
    return *network_risk;
  }

  kernels::NetworkRisk::Result
  SgdSimulator::exact_risk() const
  {
    restore_weights();
    return risk_kernels()(w.data(), a.data(), n_mine, comm);
  }

  kernels::NetworkRisk::Result
  SgdSimulator::recorded_risk(unsigned int record) const
  {
    if (parameters.resolved_risk_estimate(problem) == SgdParameters::RiskEstimate::exact)
      return exact_risk();
    restore_weights();
    kernels::NetworkRisk::Sampling sampling;
    sampling.pairs  = parameters.risk_sample_pairs;
    sampling.seed   = seed;
    sampling.stream = RandomStreams::risk_pairs;
    sampling.record = record;
    return risk_kernels().sampled(w.data(), a.data(), n_mine, sampling, comm);
  }

  std::vector<double>
  SgdSimulator::gathered_reduced_coordinates() const
  {
    const auto        &setting = problem.reduced_setting();
    const unsigned int m       = setting.dimension();
    restore_weights();
    std::vector<double> mine(std::size_t(n_mine) * m);
    for (unsigned int l = 0; l < n_mine; ++l)
      setting.reduce(a[l], &w[std::size_t(l) * d], &mine[std::size_t(l) * m]);

    int size;
    MPI_Comm_size(comm, &size);
    const int        count = mine.size();
    std::vector<int> counts(size), offsets(size, 0);
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    std::partial_sum(counts.begin(), counts.end() - 1, offsets.begin() + 1);
    std::vector<double> all(std::size_t(parameters.N) * m);
    MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, comm);
    return all;
  }

  model::ReducedLawTrajectory
  SgdSimulator::run(const io::OutputParameters *output, bool progress)
  {
    // Output times as the PDE's: multiples of the interval below T, then T;
    // each is recorded after step floor(t / epsilon).
    const double              T     = problem.final_time;
    const unsigned long       total = parameters.n_steps(problem);
    std::vector<unsigned long> record_steps;
    for (unsigned int n = 0; n * parameters.output_interval < T - 1e-12 * T; ++n)
      record_steps.push_back(
        static_cast<unsigned long>(std::floor(n * parameters.output_interval / parameters.epsilon + 1e-9)));
    record_steps.push_back(total);
    record_steps.erase(std::remove_if(record_steps.begin(), record_steps.end(),
                                      [this](unsigned long s) { return s < k; }),
                       record_steps.end());

    const bool          root   = rank_of(comm) == 0;
    const unsigned int  period = parameters.exact_risk_period(problem, record_steps.size());
    std::unique_ptr<SgdFiles> files;
    if (output != nullptr && root)
      files = std::make_unique<SgdFiles>(*output, problem.reduced_setting());
    io::ProgressReporter reporter("sgd", double(total), progress && root);
    const auto           start_step = k;

    model::ReducedLawTrajectory trajectory;
    double                      loss_sum = 0.;
    unsigned long               loss_steps = 0;
    for (unsigned int n = 0; n < record_steps.size(); ++n)
      {
        while (k < record_steps[n])
          {
            // Chunks of up to 1024 steps between progress lines.
            const unsigned long end = std::min(record_steps[n], (k / 1024 + 1) * 1024);
            loss_steps += end - k;
            // The weights are read only at the output times.
            loss_sum += advance(end, end < record_steps[n]);
            if (progress && (k & 1023) == 0)
              {
                std::ostringstream rate;
                rate.precision(3);
                rate << (k - start_step) / std::max(1e-9, reporter.elapsed_seconds()) << " steps/s";
                reporter.update(double(k), rate.str());
              }
          }
        int finite_here = std::all_of(w.begin(), w.end(), [](double v) { return std::isfinite(v); }) &&
                          std::all_of(a.begin(), a.end(), [](double v) { return std::isfinite(v); });
        int finite;
        MPI_Allreduce(&finite_here, &finite, 1, MPI_INT, MPI_LAND, comm);
        if (!finite)
          throw io::RunError("SGD: a weight is not finite at step " + std::to_string(k) +
                             " (t = " + std::to_string(k * parameters.epsilon) + "); reduce SGD/Step size epsilon");

        model::ReducedLawSnapshot snapshot;
        snapshot.t                = k * parameters.epsilon;
        snapshot.risk             = std::nan("");
        snapshot.self_interaction    = std::nan("");
        snapshot.risk_standard_error = std::nan("");
        if (period > 0 && n % period == 0)
          {
            const auto risk              = recorded_risk(n);
            snapshot.risk                = risk.risk;
            snapshot.self_interaction    = risk.self_interaction;
            snapshot.risk_standard_error = risk.standard_error;
          }
        snapshot.points = gathered_reduced_coordinates();
        snapshot.weights.assign(parameters.N, 1. / parameters.N);
        const double risk_online = loss_steps > 0 ? loss_sum / loss_steps : std::nan("");
        loss_sum                 = 0.;
        loss_steps               = 0;
        if (files)
          files->write(n, k, snapshot, risk_online);
        trajectory.push_back(std::move(snapshot));
      }
    return trajectory;
  }

  model::ReducedLawTrajectory
  run_sgd(const model::Problem &problem, const SgdParameters &parameters, unsigned int seed, MPI_Comm comm)
  {
    SgdSimulator simulator(problem, parameters, seed, comm);
    return simulator.run();
  }
} // namespace mfdd::particles
