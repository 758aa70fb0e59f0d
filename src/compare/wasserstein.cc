#include <mfdd/compare/wasserstein.h>

#include <algorithm>
#include <cmath>
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

    void
    check_2d(const model::GridDensity &grid)
    {
      if (grid.n.size() != 2 || grid.lower.size() != 2 || grid.upper.size() != 2 ||
          grid.values.size() != std::size_t(grid.n[0]) * grid.n[1])
        throw std::invalid_argument("a 2D GridDensity needs two lower/upper/n entries and n[0] n[1] values");
    }
  } // namespace

  model::GridDensity
  marginal(const model::GridDensity &grid, unsigned int k)
  {
    check_2d(grid);
    model::GridDensity result{{grid.lower[k]}, {grid.upper[k]}, {grid.n[k]}, std::vector<double>(grid.n[k], 0.)};
    const double       h_other = (grid.upper[1 - k] - grid.lower[1 - k]) / grid.n[1 - k];
    for (unsigned int j = 0; j < grid.n[1]; ++j)
      for (unsigned int i = 0; i < grid.n[0]; ++i)
        result.values[k == 0 ? i : j] += grid.values[i + std::size_t(grid.n[0]) * j] * h_other;
    return result;
  }

  model::GridDensity
  project(const model::GridDensity &grid, double phi, unsigned int n_bins)
  {
    check_2d(grid);
    const double c = std::cos(phi), s = std::sin(phi);
    const double hx = (grid.upper[0] - grid.lower[0]) / grid.n[0], hy = (grid.upper[1] - grid.lower[1]) / grid.n[1];
    const double s_min = c * (c < 0 ? grid.upper[0] : grid.lower[0]) + s * (s < 0 ? grid.upper[1] : grid.lower[1]);
    const double s_max = c * (c < 0 ? grid.lower[0] : grid.upper[0]) + s * (s < 0 ? grid.lower[1] : grid.upper[1]);
    const double width = (s_max - s_min) / n_bins;
    const double p = std::abs(c) * hx, q = std::abs(s) * hy;

    model::GridDensity result{{s_min}, {s_max}, {n_bins}, std::vector<double>(n_bins, 0.)};
    for (unsigned int j = 0; j < grid.n[1]; ++j)
      for (unsigned int i = 0; i < grid.n[0]; ++i)
        {
          const double mass = grid.values[i + std::size_t(grid.n[0]) * j] * hx * hy;
          if (mass == 0.)
            continue;
          const double x0 = grid.lower[0] + i * hx, y0 = grid.lower[1] + j * hy;
          const double offset = c * x0 + std::min(0., c * hx) + s * y0 + std::min(0., s * hy);
          const long   first  = std::max(0L, long(std::floor((offset - s_min) / width)));
          const long   last   = std::min(long(n_bins) - 1, long(std::floor((offset + p + q - s_min) / width)));
          double below = sum_of_uniforms_cdf(s_min + first * width - offset, p, q);
          for (long b = first; b <= last; ++b)
            {
              const double above = sum_of_uniforms_cdf(s_min + (b + 1) * width - offset, p, q);
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
      return 2 * std::max(grid.n[0], grid.n[1]);
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
  distribution_of_projection(const model::ReducedLawSnapshot &snapshot, double phi)
  {
    if (!snapshot.grid.values.empty())
      return from_grid_1d(project(snapshot.grid, phi, projection_bins(snapshot.grid)));
    const double        c = std::cos(phi), s = std::sin(phi);
    std::vector<double> x(snapshot.weights.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = c * snapshot.points[2 * i] + s * snapshot.points[2 * i + 1];
    return DistributionFunction::from_points(x, snapshot.weights);
  }

  double
  sliced_wasserstein1(const model::ReducedLawSnapshot &a, const model::ReducedLawSnapshot &b, unsigned int n_directions)
  {
    double sum = 0.;
    for (unsigned int j = 0; j < n_directions; ++j)
      {
        const double phi = M_PI * j / n_directions;
        sum += wasserstein1(distribution_of_projection(a, phi), distribution_of_projection(b, phi));
      }
    return sum / n_directions;
  }
} // namespace mfdd::compare
