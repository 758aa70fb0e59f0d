#include <mfdd/ntk/tangent_model.h>

#include <boost/random/normal_distribution.hpp>
#include <boost/random/seed_seq.hpp>
#include <boost/random/uniform_01.hpp>

#include <cmath>
#include <stdexcept>

namespace mfdd::ntk
{
  namespace
  {
    /// Stream @p id of @p seed: distinct, reproducible engines per purpose.
    boost::random::mt19937_64
    stream(std::uint64_t seed, unsigned int id)
    {
      boost::random::seed_seq sequence{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(id)};
      return boost::random::mt19937_64(sequence);
    }

    double
    sample_amplitude(const model::InitialLaw &law, boost::random::mt19937_64 &engine)
    {
      boost::random::uniform_01<double> uniform;
      switch (law.a_law)
        {
          case model::InitialLaw::AmplitudeLaw::constant:
            return law.a_lower;
          case model::InitialLaw::AmplitudeLaw::uniform:
            return law.a_lower + (law.a_upper - law.a_lower) * uniform(engine);
          case model::InitialLaw::AmplitudeLaw::bump:
            // rejection from the uniform law: accept x in [-1, 1] with probability (1 - x^2)^2
            while (true)
              {
                const double x = 2. * uniform(engine) - 1., v = uniform(engine);
                if (v <= (1. - x * x) * (1. - x * x))
                  return law.a_lower + 0.5 * (x + 1.) * (law.a_upper - law.a_lower);
              }
        }
      throw std::logic_error("unknown law of a");
    }
  } // namespace

  TangentModel::TangentModel(const model::Problem &problem, unsigned int n_neurons, std::uint64_t seed)
    : problem(problem)
    , d(problem.d)
    , data_stream(stream(seed, 1))
    , test_stream(stream(seed, 2))
    , sample_input(d)
    , activation_values(n_neurons)
    , amplitude_derivatives(n_neurons)
  {
    if (n_neurons == 0 || n_neurons % 2 != 0 || !problem.trainable_second_layer)
      throw std::logic_error("TangentModel needs an even, positive number of neurons and a trainable a");
    auto                                       initial = stream(seed, 0);
    boost::random::normal_distribution<double> normal;
    const double                               scale = problem.initial_law.kappa / std::sqrt(double(d));
    amplitudes.resize(n_neurons);
    weights.resize(std::size_t(n_neurons) * d);
    for (unsigned int i = 0; i < n_neurons; i += 2)
      {
        amplitudes[i]     = sample_amplitude(problem.initial_law, initial);
        amplitudes[i + 1] = -amplitudes[i];
        for (unsigned int k = 0; k < d; ++k)
          weights[std::size_t(i) * d + k] = weights[std::size_t(i + 1) * d + k] = scale * normal(initial);
      }
    eta_amplitude.assign(n_neurons, 0.);
    eta_weights.assign(std::size_t(n_neurons) * d, 0.);
  }

  double
  TangentModel::predict(const double *x) const
  {
    const auto        &sigma = *problem.activation;
    const unsigned int n     = n_neurons();
    double             sum   = 0.;
    for (unsigned int j = 0; j < n; ++j)
      {
        const double *w = &weights[std::size_t(j) * d];
        double        h = 0.;
        for (unsigned int k = 0; k < d; ++k)
          h += w[k] * x[k];
        activation_values[j]     = sigma.value(h);
        amplitude_derivatives[j] = amplitudes[j] * sigma.derivative(h);
        sum += activation_values[j] * eta_amplitude[j];
        if (amplitude_derivatives[j] != 0.)
          {
            const double *eta = &eta_weights[std::size_t(j) * d];
            double        xe  = 0.;
            for (unsigned int k = 0; k < d; ++k)
              xe += x[k] * eta[k];
            sum += amplitude_derivatives[j] * xe;
          }
      }
    return sum / n;
  }

  void
  TangentModel::step(const double *x, double y, double step_size)
  {
    // predict() leaves g_j(x) = (sigma(<w_j,x>), a_j sigma'(<w_j,x>) x) in the scratch arrays.
    const double coefficient = 2. * step_size * (y - predict(x));
    for (unsigned int j = 0; j < n_neurons(); ++j)
      {
        eta_amplitude[j] += coefficient * activation_values[j];
        if (amplitude_derivatives[j] != 0.)
          {
            const double c   = coefficient * amplitude_derivatives[j];
            double      *eta = &eta_weights[std::size_t(j) * d];
            for (unsigned int k = 0; k < d; ++k)
              eta[k] += c * x[k];
          }
      }
  }

  void
  TangentModel::train(double t_start, double t_end, double epsilon)
  {
    // Step k runs from time k epsilon to (k + 1) epsilon, as in SGD (SCIENCE.md §2).
    const auto first = static_cast<unsigned long>(std::llround(t_start / epsilon));
    const auto last  = static_cast<unsigned long>(std::llround(t_end / epsilon));
    for (unsigned long k = first; k < last; ++k)
      {
        const double y = problem.data.sample(data_stream, sample_input.data());
        step(sample_input.data(), y, epsilon * problem.xi(k * epsilon));
      }
  }

  void
  TangentModel::draw_test_sample(unsigned int size)
  {
    test_inputs.resize(std::size_t(size) * d);
    for (unsigned int m = 0; m < size; ++m)
      problem.data.sample(test_stream, &test_inputs[std::size_t(m) * d]);
  }

  TangentModel::RiskEstimate
  TangentModel::risk(const RadialLaw &law) const
  {
    const unsigned int size = test_inputs.size() / d;
    if (size < 2)
      throw std::logic_error("TangentModel::risk needs a test sample of at least two points");
    double sum = 0., sum_squares = 0.;
    for (unsigned int m = 0; m < size; ++m)
      {
        const double *x  = &test_inputs[std::size_t(m) * d];
        double        s2 = 0.;
        for (unsigned int k = 0; k < d; ++k)
          s2 += x[k] * x[k];
        const double error = std::pow(law.regression_function(std::sqrt(s2)) - predict(x), 2);
        sum += error;
        sum_squares += error * error;
      }
    const double mean = sum / size, variance = (sum_squares - size * mean * mean) / (size - 1);
    return {law.conditional_variance() + mean, std::sqrt(std::max(variance, 0.) / size)};
  }
} // namespace mfdd::ntk
