#include <mfdd/compare/wasserstein.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace mfdd::compare
{
  DistributionFunction
  DistributionFunction::from_points(const std::vector<double> &x, const std::vector<double> &weights)
  {
    if (x.size() != weights.size() || x.empty())
      throw std::invalid_argument("from_points: need as many weights as points, and at least one point");
    std::vector<std::size_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return x[i] < x[j]; });
    const double total = std::accumulate(weights.begin(), weights.end(), 0.);
    if (!(total > 0.))
      throw std::invalid_argument("from_points: the weights must have a positive sum");

    DistributionFunction f;
    double               cumulative = 0.;
    for (const std::size_t i : order)
      {
        if (f.x.empty() || x[i] != f.x.back())
          {
            f.x.push_back(x[i]);
            f.left.push_back(cumulative / total);
            f.right.push_back(cumulative / total);
          }
        cumulative += weights[i];
        f.right.back() = cumulative / total;
      }
    f.right.back() = 1.;
    return f;
  }

  DistributionFunction
  DistributionFunction::from_cells(double lower, double upper, const std::vector<double> &values)
  {
    if (values.empty() || !(upper > lower))
      throw std::invalid_argument("from_cells: need at least one cell and upper > lower");
    const double total = std::accumulate(values.begin(), values.end(), 0.);
    if (!(total > 0.))
      throw std::invalid_argument("from_cells: the density must have a positive integral");
    DistributionFunction f;
    const std::size_t    n = values.size();
    f.x.resize(n + 1);
    f.left.resize(n + 1);
    double cumulative = 0.;
    for (std::size_t k = 0; k <= n; ++k)
      {
        f.x[k]    = lower + (upper - lower) * k / n;
        f.left[k] = cumulative / total;
        if (k < n)
          cumulative += values[k];
      }
    f.left[n] = 1.;
    f.right   = f.left;
    return f;
  }

  double
  DistributionFunction::right_limit(double y) const
  {
    const auto k = std::upper_bound(x.begin(), x.end(), y) - x.begin() - 1; // last knot <= y
    if (k < 0)
      return 0.;
    if (x[k] == y || k + 1 == static_cast<long>(x.size()))
      return right[k];
    return right[k] + (left[k + 1] - right[k]) * (y - x[k]) / (x[k + 1] - x[k]);
  }

  double
  DistributionFunction::left_limit(double y) const
  {
    const auto k = std::lower_bound(x.begin(), x.end(), y) - x.begin(); // first knot >= y
    if (k == static_cast<long>(x.size()))
      return 1.;
    if (x[k] == y)
      return left[k];
    if (k == 0)
      return 0.;
    return right[k - 1] + (left[k] - right[k - 1]) * (y - x[k - 1]) / (x[k] - x[k - 1]);
  }

  double
  wasserstein1(const DistributionFunction &f, const DistributionFunction &g)
  {
    std::vector<double> knots;
    knots.reserve(f.knots().size() + g.knots().size());
    std::merge(f.knots().begin(), f.knots().end(), g.knots().begin(), g.knots().end(), std::back_inserter(knots));
    knots.erase(std::unique(knots.begin(), knots.end()), knots.end());

    double w1 = 0.;
    for (std::size_t j = 0; j + 1 < knots.size(); ++j)
      {
        const double a = knots[j], b = knots[j + 1];
        const double da = f.right_limit(a) - g.right_limit(a);
        const double db = f.left_limit(b) - g.left_limit(b);
        // integral of |linear| over [a, b]: the trapezoid, or two triangles
        // when the difference changes sign inside.
        if (da * db >= 0.)
          w1 += 0.5 * (b - a) * (std::abs(da) + std::abs(db));
        else
          w1 += 0.5 * (b - a) * (da * da + db * db) / (std::abs(da) + std::abs(db));
      }
    return w1;
  }

  namespace
  {
    // CDF at u of U[0, p] + U[0, q] (p, q >= 0): piecewise quadratic, linear
    // in the middle; a plain uniform law when one length vanishes.
    double
    sum_of_uniforms_cdf(double u, double p, double q)
    {
      if (p < q)
        std::swap(p, q);
      if (u <= 0.)
        return 0.;
      if (u >= p + q)
        return 1.;
      if (q <= 1e-12 * p)
        return u / p;
      if (u < q)
        return u * u / (2. * p * q);
      if (u <= p)
        return (u - 0.5 * q) / p;
      const double rest = p + q - u;
      return 1. - rest * rest / (2. * p * q);
    }

    // The antiderivative H(u) = integral_0^u of the CDF of U[0, q] + U[0, r]
    // (q >= r >= 0): piecewise cubic, u - (q + r)/2 beyond q + r.
    double
    sum_of_uniforms_cdf_antiderivative(double u, double q, double r)
    {
      if (u <= 0.)
        return 0.;
      if (u >= q + r)
        return u - 0.5 * (q + r);
      if (r <= 1e-12 * q)
        return u * u / (2. * q);
      if (u < r)
        return u * u * u / (6. * q * r);
      if (u <= q)
        return r * r / (6. * q) + (u * u - r * u) / (2. * q);
      const double rest = q + r - u;
      return r * r / (6. * q) + 0.5 * (q - r) + (u - q) - (r * r * r - rest * rest * rest) / (6. * q * r);
    }

    // CDF at u of U[0, p] + U[0, q] + U[0, r] with p >= q >= r >= 0, p > 0:
    // the mean over x in [0, p] of the two-term CDF at u - x, i.e.
    // (H(u) - H(u - p))/p; dividing by the largest length keeps it accurate.
    double
    sum_of_three_uniforms_cdf(double u, double p, double q, double r)
    {
      if (u <= 0.)
        return 0.;
      if (u >= p + q + r)
        return 1.;
      if (q <= 1e-12 * p)
        return std::min(1., u / p);
      const double F = (sum_of_uniforms_cdf_antiderivative(u, q, r) - sum_of_uniforms_cdf_antiderivative(u - p, q, r)) / p;
      return std::clamp(F, 0., 1.);
    }

    void
    check_grid(const model::GridDensity &grid)
    {
      const std::size_t dim   = grid.n.size();
      std::size_t       cells = 1;
      for (const unsigned int n : grid.n)
        cells *= n;
      if ((dim != 2 && dim != 3) || grid.lower.size() != dim || grid.upper.size() != dim || grid.values.size() != cells)
        throw std::invalid_argument("a 2D or 3D GridDensity needs one lower/upper/n entry per coordinate and "
                                    "prod(n) values");
    }

    // The grid point (i, j, l) of a cell index (coordinate 0 fastest).
    std::array<unsigned int, 3>
    grid_point(const model::GridDensity &grid, std::size_t index)
    {
      std::array<unsigned int, 3> point = {{0, 0, 0}};
      for (unsigned int k = 0; k < grid.n.size(); ++k)
        {
          point[k] = index % grid.n[k];
          index /= grid.n[k];
        }
      return point;
    }
  } // namespace

  model::GridDensity
  marginal(const model::GridDensity &grid, unsigned int k)
  {
    check_grid(grid);
    model::GridDensity result{{grid.lower[k]}, {grid.upper[k]}, {grid.n[k]}, std::vector<double>(grid.n[k], 0.)};
    double             h_others = 1.;
    for (unsigned int j = 0; j < grid.n.size(); ++j)
      if (j != k)
        h_others *= (grid.upper[j] - grid.lower[j]) / grid.n[j];
    for (std::size_t index = 0; index < grid.values.size(); ++index)
      result.values[grid_point(grid, index)[k]] += grid.values[index] * h_others;
    return result;
  }

  model::GridDensity
  project(const model::GridDensity &grid, const std::vector<double> &u, unsigned int n_bins)
  {
    check_grid(grid);
    const unsigned int dim = grid.n.size();
    if (u.size() != dim)
      throw std::invalid_argument("project: the direction needs one entry per coordinate of the grid");
    std::vector<double> h(dim), lengths(dim);
    double              s_min = 0., s_max = 0., cell_volume = 1.;
    for (unsigned int k = 0; k < dim; ++k)
      {
        h[k] = (grid.upper[k] - grid.lower[k]) / grid.n[k];
        s_min += u[k] * (u[k] < 0 ? grid.upper[k] : grid.lower[k]);
        s_max += u[k] * (u[k] < 0 ? grid.lower[k] : grid.upper[k]);
        lengths[k] = std::abs(u[k]) * h[k];
        cell_volume *= h[k];
      }
    std::sort(lengths.begin(), lengths.end(), std::greater<>());
    const double spread = std::accumulate(lengths.begin(), lengths.end(), 0.);
    const auto   cdf    = [&](double s) {
      return dim == 2 ? sum_of_uniforms_cdf(s, lengths[0], lengths[1]) :
                               sum_of_three_uniforms_cdf(s, lengths[0], lengths[1], lengths[2]);
    };
    const double width = (s_max - s_min) / n_bins;

    model::GridDensity result{{s_min}, {s_max}, {n_bins}, std::vector<double>(n_bins, 0.)};
    for (std::size_t index = 0; index < grid.values.size(); ++index)
      {
        const double mass = grid.values[index] * cell_volume;
        if (mass == 0.)
          continue;
        // The projection of the cell's box starts at offset and spans spread.
        const auto point  = grid_point(grid, index);
        double     offset = 0.;
        for (unsigned int k = 0; k < dim; ++k)
          offset += u[k] * (grid.lower[k] + point[k] * h[k]) + std::min(0., u[k] * h[k]);
        const long first = std::max(0L, long(std::floor((offset - s_min) / width)));
        const long last  = std::min(long(n_bins) - 1, long(std::floor((offset + spread - s_min) / width)));
        double     below = cdf(s_min + first * width - offset);
        for (long b = first; b <= last; ++b)
          {
            const double above = cdf(s_min + (b + 1) * width - offset);
            result.values[b] += mass * (above - below);
            below = above;
          }
      }
    for (double &v : result.values)
      v /= width;
    return result;
  }

  namespace
  {
    DistributionFunction
    from_grid_1d(const model::GridDensity &grid)
    {
      return DistributionFunction::from_cells(grid.lower[0], grid.upper[0], grid.values);
    }

    // Bins for a projected grid: about twice as fine as the grid's cells.
    unsigned int
    projection_bins(const model::GridDensity &grid)
    {
      return 2 * *std::max_element(grid.n.begin(), grid.n.end());
    }
  } // namespace

  DistributionFunction
  distribution_of_coordinate(const model::ReducedLawSnapshot &snapshot, unsigned int dimension, unsigned int k)
  {
    if (!snapshot.grid.values.empty())
      return from_grid_1d(dimension == 1 ? snapshot.grid : marginal(snapshot.grid, k));
    std::vector<double> x(snapshot.weights.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = snapshot.points[i * dimension + k];
    return DistributionFunction::from_points(x, snapshot.weights);
  }

  DistributionFunction
  distribution_of_projection(const model::ReducedLawSnapshot &snapshot, const std::vector<double> &u)
  {
    if (!snapshot.grid.values.empty())
      return from_grid_1d(project(snapshot.grid, u, projection_bins(snapshot.grid)));
    const std::size_t   dim = u.size();
    std::vector<double> x(snapshot.weights.size(), 0.);
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t k = 0; k < dim; ++k)
        x[i] += u[k] * snapshot.points[dim * i + k];
    return DistributionFunction::from_points(x, snapshot.weights);
  }

  std::vector<std::vector<double>>
  sliced_directions(unsigned int dimension, unsigned int n_directions)
  {
    if (dimension != 2 && dimension != 3)
      throw std::invalid_argument("sliced_directions: the sliced W1 is defined in 2D and 3D");
    std::vector<std::vector<double>> directions;
    const double                     golden_angle = M_PI * (3. - std::sqrt(5.));
    for (unsigned int j = 0; j < n_directions; ++j)
      if (dimension == 2)
        {
          const double phi = M_PI * j / n_directions;
          directions.push_back({std::cos(phi), std::sin(phi)});
        }
      else
        {
          const double c = (j + 0.5) / n_directions, s = std::sqrt(1. - c * c);
          directions.push_back({s * std::cos(j * golden_angle), s * std::sin(j * golden_angle), c});
        }
    return directions;
  }

  double
  sliced_wasserstein1(const model::ReducedLawSnapshot &a,
                      const model::ReducedLawSnapshot &b,
                      unsigned int                     dimension,
                      unsigned int                     n_directions)
  {
    double sum = 0.;
    for (const auto &u : sliced_directions(dimension, n_directions))
      sum += wasserstein1(distribution_of_projection(a, u), distribution_of_projection(b, u));
    return sum / n_directions;
  }
} // namespace mfdd::compare
