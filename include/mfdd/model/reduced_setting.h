#pragma once

#include <mfdd/model/data_model.h>

#include <string>
#include <utility>
#include <vector>

namespace mfdd::model
{
  enum class ReducedSettingKind
  {
    radius,           ///< isotropic data, fixed a: z = r = |w|
    amplitude_radius, ///< isotropic data, trainable a: z = (a, r)
    two_radii,           ///< anisotropic data, fixed a: z = (r1, r2)
    amplitude_two_radii  ///< anisotropic data, trainable a: z = (a, r1, r2)
  };

  /**
   * The law of a neuron at initialisation: w ~ N(0, kappa^2/d I_d) and, for a
   * trainable second layer, a independent of w with a law on [a_lower, a_upper].
   */
  struct InitialLaw
  {
    enum class AmplitudeLaw
    {
      uniform, ///< uniform on [a_lower, a_upper]
      bump,    ///< density proportional to (1 - x^2)^2 on [a_lower, a_upper] mapped to [-1, 1]
      constant ///< a = a_lower = a_upper (no density: particles only)
    };
    double       kappa   = 0.8;
    AmplitudeLaw a_law   = AmplitudeLaw::uniform;
    double       a_lower = -1.;
    double       a_upper = 1.;

    /// Density of a (not defined for the constant law).
    double
    amplitude_density(double a) const;
    /// E[a]
    double
    amplitude_mean() const;
  };

  /**
   * The radially reduced coordinates z of doc/theory.md §4 and everything tied to
   * them: names, the map from a full-dimensional neuron (a, w) to z, the
   * amplitude and block radii held in z, and the initial density of z.
   *
   * Layout of z: [a] (trainable second layer only) followed by one radius per
   * input block (|w| for isotropic data, (|w_{1:s0}|, |w_{s0+1:d}|) for
   * anisotropic data).
   */
  class ReducedSetting
  {
  public:
    ReducedSetting(ReducedSettingKind kind, const DataModel &data, const InitialLaw &initial_law);

    ReducedSettingKind
    kind() const
    {
      return setting_kind;
    }
    unsigned int
    dimension() const
    {
      return has_amplitude() + n_blocks();
    }
    bool
    has_amplitude() const
    {
      return setting_kind == ReducedSettingKind::amplitude_radius ||
             setting_kind == ReducedSettingKind::amplitude_two_radii;
    }
    unsigned int
    n_blocks() const
    {
      return data.blocks().size();
    }
    /// "r"; "a","r"; "r1","r2"; or "a","r1","r2"
    std::vector<std::string>
    coordinate_names() const;
    /// Index of the first radius inside z.
    unsigned int
    first_radius() const
    {
      return has_amplitude() ? 1 : 0;
    }

    double
    amplitude(const double *z) const
    {
      return has_amplitude() ? z[0] : 1.;
    }
    double
    radius(const double *z, unsigned int block) const
    {
      return z[first_radius() + block];
    }

    /// z of the neuron (a, w), w of length d.
    void
    reduce(double a, const double *w, double *z) const;

    /// Density of z at t = 0 under InitialLaw (Lebesgue measure in z).
    double
    initial_density(const double *z) const;

    /// A box [lower, upper] in z outside which the initial law has less than
    /// @p tail mass (per coordinate).
    std::pair<std::vector<double>, std::vector<double>>
    initial_support(double tail) const;

    const DataModel &
    data_model() const
    {
      return data;
    }
    const InitialLaw &
    initial_law() const
    {
      return law;
    }

  private:
    ReducedSettingKind setting_kind;
    DataModel          data;
    InitialLaw         law;
  };

  /// Density of kappa chi_m / sqrt(d) at r >= 0 (law of a block radius of w ~ N(0, kappa^2/d I)).
  double
  scaled_chi_density(double r, unsigned int m, unsigned int d, double kappa);
} // namespace mfdd::model

namespace mfdd::model
{
  /// The initial law of z as weighted points (tensor Gauss-Legendre with
  /// @p n_per_coordinate nodes per coordinate on initial_support(1e-16)),
  /// coordinates stored row by row. Weights sum to 1 up to the quadrature error.
  struct WeightedPoints
  {
    std::vector<double> points;
    std::vector<double> weights;
  };
  WeightedPoints
  initial_law_quadrature(const ReducedSetting &setting, unsigned int n_per_coordinate);
} // namespace mfdd::model
