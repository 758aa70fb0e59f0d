#pragma once

#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <vector>

namespace mfdd::model
{
  /**
   * One block of input coordinates: x_b | y = +-1 ~ N(0, std_{+-}^2 I_size).
   */
  struct InputBlock
  {
    unsigned int size;
    double       std_plus;
    double       std_minus;
    /// Class standard deviation for the label y = +1 (plus) or -1.
    double
    std_for(bool plus) const
    {
      return plus ? std_plus : std_minus;
    }
  };

  /**
   * Gaussian mixture data of doc/theory.md §4: y = +-1 with probability 1/2 and
   * x | y centred Gaussian, block-diagonal with one variance per block and
   * class. Isotropic data has one block (std 1 +- Delta); anisotropic data two
   * (sizes s0 and d - s0).
   */
  class DataModel
  {
  public:
    DataModel() = default;
    explicit DataModel(std::vector<InputBlock> blocks);

    unsigned int
    dimension() const
    {
      return d;
    }
    const std::vector<InputBlock> &
    blocks() const
    {
      return input_blocks;
    }
    /// E[y^2]
    double
    second_moment_y() const
    {
      return 1.;
    }

    /// Turns d standard normals x[0..d) into an input of class y = +1 (@p plus) or -1.
    void
    scale_to_class(bool plus, double *x) const
    {
      unsigned int i = 0;
      for (const auto &block : input_blocks)
        {
          const double s = block.std_for(plus);
          for (unsigned int j = 0; j < block.size; ++j, ++i)
            x[i] *= s;
        }
    }

    /// Draws one sample: writes x[0..d) and returns y. Uses only Boost.Random
    /// distributions, so a seed gives the same stream with every standard library.
    template <class Engine>
    double
    sample(Engine &engine, double *x) const
    {
      const bool                                plus = boost::random::uniform_01<double>()(engine) < 0.5;
      boost::random::normal_distribution<double> normal;
      for (unsigned int i = 0; i < d; ++i)
        x[i] = normal(engine);
      scale_to_class(plus, x);
      return plus ? 1. : -1.;
    }

  private:
    std::vector<InputBlock> input_blocks;
    unsigned int            d = 0;
  };
} // namespace mfdd::model
