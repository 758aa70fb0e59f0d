#include <mfdd/model/activation.h>

#include <cmath>

namespace mfdd::model
{
  TruncatedReLU::TruncatedReLU(double s1, double s2, double t1, double t2)
    : s1(s1)
    , s2(s2)
    , t1(t1)
    , t2(t2)
    , slope((s2 - s1) / (t2 - t1))
  {}

  double
  TruncatedReLU::value(double t) const
  {
    if (t <= t1)
      return s1;
    if (t >= t2)
      return s2;
    return s1 + slope * (t - t1);
  }

  double
  TruncatedReLU::derivative(double t) const
  {
    return (t >= t1 && t < t2) ? slope : 0.;
  }

  double
  Tanh::value(double t) const
  {
    return std::tanh(t);
  }

  double
  Tanh::derivative(double t) const
  {
    const double th = std::tanh(t);
    return 1. - th * th;
  }

  double
  Tanh::second_derivative(double t) const
  {
    const double th = std::tanh(t);
    return -2. * th * (1. - th * th);
  }
} // namespace mfdd::model
