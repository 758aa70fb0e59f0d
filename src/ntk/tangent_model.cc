#include <mfdd/ntk/tangent_model.h>
#include <mfdd/particles/random_streams.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mfdd::ntk
{
  namespace
  {
    /// The SGD run that shares its start and its samples with the tangent model.
    particles::SgdParameters
    sgd_parameters_of(unsigned int n_neurons, double epsilon, unsigned int seed)
    {
      particles::SgdParameters parameters;
      parameters.N                        = n_neurons;
      parameters.epsilon                  = epsilon;
      parameters.batch_size               = 1;
      parameters.seed                     = seed;
      parameters.symmetric_initialisation = true;
      parameters.record_exact_risk        = false;
      return parameters;
    }
  } // namespace

  TangentModel::TangentModel(const model::Problem &problem,
                             unsigned int          n_neurons,
                             double                epsilon,
                             unsigned int          seed,
                             MPI_Comm              comm)
    : problem(problem)
    , sgd_parameters(sgd_parameters_of(n_neurons, epsilon, seed))
    // The constructor checks N even, a trainable and Final time / epsilon an integer.
    , network(problem, sgd_parameters, seed, comm)
    , comm(comm)
    , d(problem.d)
    , eta_amplitude(network.n_local(), 0.)
    , eta_weights(std::size_t(network.n_local()) * d, 0.)
    , activation_values(network.n_local())
    , amplitude_derivatives(network.n_local())
  {}

  double
  TangentModel::local_prediction(const double *x)
  {
    const auto          &sigma      = *problem.activation;
    const auto          &weights    = network.weights();
    const auto          &amplitudes = network.amplitudes();
    const unsigned int   n          = network.n_local();
    double               sum        = 0.;
    for (unsigned int j = 0; j < n; ++j)
      {
        const double *w = &weights[std::size_t(j) * d];
        double        h = 0.;
        for (unsigned int m = 0; m < d; ++m)
          h += w[m] * x[m];
        activation_values[j]     = sigma.value(h);
        amplitude_derivatives[j] = amplitudes[j] * sigma.derivative(h);
        sum += activation_values[j] * eta_amplitude[j];
        if (amplitude_derivatives[j] != 0.)
          {
            const double *eta = &eta_weights[std::size_t(j) * d];
            double        xe  = 0.;
            for (unsigned int m = 0; m < d; ++m)
              xe += x[m] * eta[m];
            sum += amplitude_derivatives[j] * xe;
          }
      }
    return sum / n_neurons();
  }

  double
  TangentModel::predict(const double *x)
  {
    double local = local_prediction(x), prediction;
    MPI_Allreduce(&local, &prediction, 1, MPI_DOUBLE, MPI_SUM, comm);
    return prediction;
  }

  void
  TangentModel::train(double t_end)
  {
    // Step k runs from time k epsilon to (k + 1) epsilon, as in SGD (doc/theory.md §2).
    const double epsilon = sgd_parameters.epsilon;
    const auto   last    = static_cast<unsigned long>(std::llround(t_end / epsilon));
    for (; k < last; ++k)
      {
        network.samples(k, sample_input, sample_label);
        const double *x = sample_input.data();
        // predict() leaves g_j(x) = (sigma(<w_j,x>), a_j sigma'(<w_j,x>) x) in the scratch arrays.
        const double coefficient = 2. * epsilon * problem.xi(k * epsilon) * (sample_label[0] - predict(x));
        for (unsigned int j = 0; j < network.n_local(); ++j)
          {
            eta_amplitude[j] += coefficient * activation_values[j];
            if (amplitude_derivatives[j] != 0.)
              {
                const double c   = coefficient * amplitude_derivatives[j];
                double      *eta = &eta_weights[std::size_t(j) * d];
                for (unsigned int m = 0; m < d; ++m)
                  eta[m] += c * x[m];
              }
          }
      }
  }

  void
  TangentModel::draw_test_sample(unsigned int size)
  {
    // As the SGD samples (particles::SgdSimulator::samples), on the test stream:
    // the class from a uniform number, then x_b ~ N(0, std_{b,y}^2 I).
    const particles::RandomStreams random(sgd_parameters.seed);
    test_inputs.resize(std::size_t(size) * d);
    for (unsigned int m = 0; m < size; ++m)
      {
        const bool plus = random.uniform(particles::RandomStreams::test_sample, m, 0, 0) < 0.5;
        double    *x    = &test_inputs[std::size_t(m) * d];
        random.normals(particles::RandomStreams::test_sample, m, 0, x, d);
        problem.data.scale_to_class(plus, x);
      }
  }

  TangentModel::RiskEstimate
  TangentModel::risk(const RadialLaw &law)
  {
    const unsigned int size = test_inputs.size() / d;
    if (size < 2)
      throw std::logic_error("TangentModel::risk needs a test sample of at least two points");
    std::vector<double> prediction(size);
    for (unsigned int m = 0; m < size; ++m)
      prediction[m] = local_prediction(&test_inputs[std::size_t(m) * d]);
    MPI_Allreduce(MPI_IN_PLACE, prediction.data(), size, MPI_DOUBLE, MPI_SUM, comm);

    double sum = 0., sum_squares = 0.;
    for (unsigned int m = 0; m < size; ++m)
      {
        const double *x  = &test_inputs[std::size_t(m) * d];
        double        s2 = 0.;
        for (unsigned int j = 0; j < d; ++j)
          s2 += x[j] * x[j];
        const double error = std::pow(law.regression_function(std::sqrt(s2)) - prediction[m], 2);
        sum += error;
        sum_squares += error * error;
      }
    const double mean = sum / size, variance = (sum_squares - size * mean * mean) / (size - 1);
    return {law.conditional_variance() + mean, std::sqrt(std::max(variance, 0.) / size)};
  }
} // namespace mfdd::ntk
