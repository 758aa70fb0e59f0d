// pde/ owns the finite-element solver of the reduced distributional dynamics
// (doc/theory.md §4): meshes, DG discretisation, time stepping, positivity
// limiter, the potential psi on the mesh and the PDE outputs. It knows nothing
// of SGD or of the comparison layer (it hands over a model::ReducedLawTrajectory).
#pragma once

#include <mfdd/kernels/population_kernels.h>
#include <mfdd/model/problem.h>

#include <deal.II/base/bounding_box.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/function.h>
#include <deal.II/base/point.h>
#include <deal.II/base/tensor.h>

#include <memory>
#include <vector>

namespace mfdd::pde
{
  using dealii::Point;
  using dealii::Tensor;

  /**
   * The potential psi(z; rho-bar) that drives the transport. The solver tells
   * it, after every (re)meshing, where the density is sampled (the cell
   * quadrature points) and where psi and grad psi are needed (cell and face
   * quadrature points); at every Runge-Kutta stage it hands over the density as
   * weights rho(z_q) JxW_q and reads psi and grad psi back.
   */
  template <int dim>
  class Potential
  {
  public:
    virtual ~Potential() = default;

    /// Mesh-dependent set-up: @p box contains every point below.
    virtual void
    reinit(const dealii::BoundingBox<dim>   &box,
           const std::vector<Point<dim>>    &density_points,
           const std::vector<Point<dim>>    &evaluation_points) = 0;

    /// The density at the density points as weights rho(z_q) JxW_q.
    virtual void
    update(const std::vector<double> &density_weights) = 0;

    /// psi and grad psi at the evaluation points for the last update().
    virtual void
    evaluate(std::vector<double> &psi, std::vector<Tensor<1, dim>> &gradient) const = 0;

    /// psi (and, if @p gradient, grad psi) at any point of the box, for the last update().
    virtual double
    value(const Point<dim> &z, Tensor<1, dim> *gradient = nullptr) const = 0;

    /// R(rho-bar) for the last update(); NaN if the potential is not the risk's first variation.
    virtual double
    risk() const = 0;
  };

  /**
   * A potential that does not depend on the density: a given function of z
   * (used to verify the transport solver against exact solutions).
   */
  template <int dim>
  class PrescribedPotential : public Potential<dim>
  {
  public:
    explicit PrescribedPotential(std::shared_ptr<const dealii::Function<dim>> psi);

    void
    reinit(const dealii::BoundingBox<dim> &,
           const std::vector<Point<dim>> &,
           const std::vector<Point<dim>> &evaluation_points) override;
    void
    update(const std::vector<double> &) override
    {}
    void
    evaluate(std::vector<double> &psi, std::vector<Tensor<1, dim>> &gradient) const override;
    double
    value(const Point<dim> &z, Tensor<1, dim> *gradient = nullptr) const override;
    double
    risk() const override;

  private:
    std::shared_ptr<const dealii::Function<dim>> function;
    std::vector<Point<dim>>                      points;
  };

  /**
   * Lagrange interpolation on the Chebyshev-Lobatto nodes of an interval,
   * evaluated in barycentric form (stable for any number of nodes).
   */
  class ChebyshevInterpolation
  {
  public:
    ChebyshevInterpolation(double lower, double upper, unsigned int n_nodes);
    unsigned int
    size() const
    {
      return nodes.size();
    }
    double
    node(unsigned int j) const
    {
      return nodes[j];
    }
    /// The n Lagrange basis values ell_j(x) and derivatives ell_j'(x).
    void
    basis(double x, double *values, double *derivatives) const;

  private:
    std::vector<double> nodes, weights;
  };

  /**
   * The nonlocal potential of the mean-field dynamics,
   *
   *   psi(z) = V(z) + alpha int U(z, z') rho-bar(dz') + (lambda/2) |z|^2,
   *
   * with the kernels of kernels::PopulationKernels (exact finite-d or large-d).
   *
   * Method: with an amplitude a (settings (a, r) and (a, r1, r2)), V = a v-bar
   * and U = a a' u-bar (doc/theory.md §4), so
   *
   *   psi(a, r) = a phi(r),   phi(r) = v-bar(r) + alpha int u-bar(r, r') a' rho-bar(da', dr'),
   *
   * and only phi, a function of the radii, is interpolated: the density
   * enters through its a-weighted moments (weights a rho JxW), and
   * grad psi = (phi, a grad_r phi). Without an amplitude phi = psi. v-bar and
   * u-bar are interpolated in each radius on a tensor grid of
   * Chebyshev-Lobatto nodes r_k over the mesh's bounding box (n_radius nodes
   * per radius). Then
   *
   *   m_k    = int ell_k(r') a' rho-bar(da', dr')     (moments; a' = 1 without amplitude)
   *   phi_k  = v-bar(r_k) + alpha sum_l u-bar(r_k, r_l) m_l      (O(K^2))
   *   phi(r) = sum_k ell_k(r) phi_k,   psi = a phi + (lambda/2)|z|^2
   *
   * phi is evaluated once per distinct tuple of radii among the points (a
   * "site": the points of an (a, r) mesh that share r share it), and the
   * density is summed per site before its moments. With ell_k(r) =
   * ell_i(r_1) ell_j(r_2) for two radii, the sums over the last axis are done
   * once per distinct last radius (few on a tensor-product mesh), so moments
   * and psi cost O(1) per point, O(n_1) per site and O(K) per distinct last
   * radius, instead of O(K) per point.
   *
   * The kernel table U(z_k, z_l) depends only on the box, so it is computed
   * once per bounding box (not per mesh, not per step; at the first update()
   * after the box changes), its rows shared out
   * over the ranks (each entry is computed by one rank: the same bits on any
   * number of ranks). Because the kernels are
   * analytic in the radii, the interpolation error decays spectrally in
   * n_radius (measured in tests/test_pde_potential.cc). The risk uses the same
   * tables, R = E y^2 + 2 alpha sum_k V_k m_k + alpha^2 m^T U m, so that psi
   * is exactly (1/(2 alpha)) times the first variation of the discrete risk.
   * (The risk's terms are those of the moments above: int V rho-bar =
   * sum_k v-bar_k m_k, int int U rho-bar rho-bar = m^T u-bar m.)
   */
  template <int dim>
  class NonlocalPotential : public Potential<dim>
  {
  public:
    /// The kernel table's rows are shared out over the ranks of @p communicator.
    NonlocalPotential(const kernels::PopulationKernels &kernels,
                      unsigned int                      n_radius_nodes,
                      MPI_Comm                          communicator = MPI_COMM_SELF);

    void
    reinit(const dealii::BoundingBox<dim> &box,
           const std::vector<Point<dim>>  &density_points,
           const std::vector<Point<dim>>  &evaluation_points) override;
    void
    update(const std::vector<double> &density_weights) override;
    void
    evaluate(std::vector<double> &psi, std::vector<Tensor<1, dim>> &gradient) const override;
    double
    value(const Point<dim> &z, Tensor<1, dim> *gradient = nullptr) const override;
    double
    risk() const override;

    /// Number of interpolation nodes K.
    unsigned int
    n_nodes() const
    {
      return node_values_V.size();
    }

  private:
    /// The Lagrange bases of the radii at a set of points. phi depends on
    /// the radii only, so points that share them (the amplitudes of one
    /// radius on an (a, r) mesh, the whole a-column in (a, r1, r2)) share one
    /// "site" and phi is evaluated once per site. With two radii, sites
    /// sharing their last radius also share its basis, and the sums over the
    /// last axis are done once per distinct value. On a tensor-product mesh
    /// (a box, refined or not) there are few distinct values of each radius.
    struct TensorBasis
    {
      std::vector<unsigned int> site;                            // [point] -> distinct radii
      unsigned int              n_sites = 0;
      std::vector<double>       amplitude;                       // with an amplitude: [point] -> a
      std::vector<double>       first_values, first_derivatives; // [site][node of the first radius]
      std::vector<unsigned int> row;                             // two radii: [site] -> distinct last radius
      std::vector<double>       last_values, last_derivatives;   // two radii: [distinct value][node of the last radius]
    };
    /// The coordinate of the first radius (1 with an amplitude, else 0).
    unsigned int
    first_radius() const
    {
      return problem.reduced_setting().first_radius();
    }
    void
    fill_basis(const std::vector<Point<dim>> &points, TensorBasis &basis) const;
    /// The table U(z_k, z_l), collectively over the communicator. Done at the
    /// first update() after a new box, not in reinit(), so that the solver's
    /// input checks come before the table's cost.
    void
    build_kernel_table();
    /// psi (without the weight decay term) and its gradient at the points of @p basis.
    void
    interpolate(const TensorBasis &basis, double *psi, Tensor<1, dim> *gradient) const;

    const kernels::PopulationKernels          &kernels;
    const model::Problem                      &problem;
    unsigned int                               n_radius_nodes;
    MPI_Comm                                   communicator;
    std::vector<ChebyshevInterpolation>        axes;          // one per radius
    dealii::BoundingBox<dim>                   table_box;
    std::vector<double>                        node_values_V; // v-bar(r_k) = V(1, r_k)
    std::vector<double>                        node_points;   // z_k = (1, r_k) or r_k, K x dim
    std::vector<double>                        kernel_table;  // u-bar(r_k, r_l), K x K; empty until update()
    TensorBasis                                density_basis, evaluation_basis;
    std::vector<Point<dim>>                    evaluation_points;
    std::vector<double>                        moments, node_values_psi;
  };
} // namespace mfdd::pde
