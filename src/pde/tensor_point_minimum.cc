// The minimum of a cell polynomial over tensor-product point sets (see the header).
#include <mfdd/pde/tensor_point_minimum.h>
#include <mfdd/pde/tensor_contraction.h>

#include <deal.II/fe/fe_dgq.h>

#include <algorithm>
#include <array>
#include <limits>

namespace mfdd::pde
{
  template <int dim>
  TensorPointMinimum<dim>::TensorPointMinimum(const unsigned int degree, const std::vector<PointSet> &sets)
    : n_1d(degree + 1)
    , sets(sets)
  {
    const dealii::FE_DGQ<1> fe_1d(degree);
    std::size_t             largest = 1;
    for (const auto &set : sets)
      {
        auto &values = values_1d.emplace_back();
        for (unsigned int k = 0; k < dim; ++k)
          for (const double x : set[k])
            for (unsigned int i = 0; i < n_1d; ++i)
              values[k].push_back(fe_1d.shape_value(i, dealii::Point<1>(x)));
        // The array after contracting directions 0..d: sizes m_0..m_d, then n_1d each.
        std::size_t size = 1;
        for (unsigned int k = 0; k < dim; ++k)
          size *= std::max<std::size_t>(set[k].size(), n_1d);
        largest = std::max(largest, size);
      }
    first.resize(largest);
    second.resize(largest);
  }

  template <int dim>
  std::vector<dealii::Point<dim>>
  TensorPointMinimum<dim>::points() const
  {
    std::vector<dealii::Point<dim>> result;
    for (const auto &set : sets)
      {
        std::size_t n = 1;
        for (unsigned int k = 0; k < dim; ++k)
          n *= set[k].size();
        for (std::size_t index = 0; index < n; ++index)
          {
            dealii::Point<dim> p;
            for (unsigned int k = 0, rest = index; k < dim; rest /= set[k].size(), ++k)
              p[k] = set[k][rest % set[k].size()];
            result.push_back(p);
          }
      }
    return result;
  }

  template <int dim>
  double
  TensorPointMinimum<dim>::minimum(const double *coefficients) const
  {
    double result = std::numeric_limits<double>::max();
    for (unsigned int s = 0; s < sets.size(); ++s)
      {
        std::array<const double *, dim> matrices;
        std::array<std::size_t, dim>    rows;
        for (unsigned int d = 0; d < dim; ++d)
          {
            matrices[d] = values_1d[s][d].data();
            rows[d]     = sets[s][d].size();
          }
        result = std::min(result,
                          tensor_product_minimum<dim>(matrices, rows, n_1d, coefficients, first.data(), second.data()));
      }
    return result;
  }

  template class TensorPointMinimum<1>;
  template class TensorPointMinimum<2>;
  template class TensorPointMinimum<3>;
} // namespace mfdd::pde
