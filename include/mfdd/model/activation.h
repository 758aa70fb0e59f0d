// model/ owns the mathematical problem of doc/theory.md §1, §2 and §4: activation,
// data model, network form, initial law, step-size schedule and the reduced
// setting. Every other area reads the problem from here and re-derives nothing.
#pragma once

#include <memory>
#include <string>

namespace mfdd::model
{
  /**
   * An activation function sigma with its derivatives. Where sigma is only
   * piecewise smooth (kinks of the ReLUs) the derivatives are those of the
   * piece to the right of the kink.
   */
  class Activation
  {
  public:
    virtual ~Activation() = default;
    virtual std::string
    name() const = 0;
    virtual double
    value(double t) const = 0;
    virtual double
    derivative(double t) const = 0;
    virtual double
    second_derivative(double t) const = 0;
    /// True if sigma is bounded (Theorem 1(A) of MMM19 needs it).
    virtual bool
    is_bounded() const = 0;
  };

  /// sigma = s1 for t <= t1, s2 for t >= t2, linear in between (MMN18).
  class TruncatedReLU : public Activation
  {
  public:
    TruncatedReLU(double s1, double s2, double t1, double t2);
    std::string
    name() const override
    {
      return "truncated relu";
    }
    double
    value(double t) const override;
    double
    derivative(double t) const override;
    double
    second_derivative(double) const override
    {
      return 0.;
    }
    bool
    is_bounded() const override
    {
      return true;
    }
    const double s1, s2, t1, t2;
    /// (s2 - s1) / (t2 - t1)
    const double slope;
  };

  /// sigma = max(t, 0)
  class ReLU : public Activation
  {
  public:
    std::string
    name() const override
    {
      return "relu";
    }
    double
    value(double t) const override
    {
      return t > 0 ? t : 0.;
    }
    double
    derivative(double t) const override
    {
      return t >= 0 ? 1. : 0.;
    }
    double
    second_derivative(double) const override
    {
      return 0.;
    }
    bool
    is_bounded() const override
    {
      return false;
    }
  };

  /// sigma = tanh(t)
  class Tanh : public Activation
  {
  public:
    std::string
    name() const override
    {
      return "tanh";
    }
    double
    value(double t) const override;
    double
    derivative(double t) const override;
    double
    second_derivative(double t) const override;
    bool
    is_bounded() const override
    {
      return true;
    }
  };
} // namespace mfdd::model
