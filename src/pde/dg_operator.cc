// The upwind DG operator (and, with noise, the SIPG diffusion) on deal.II's
// matrix-free framework: the set-up of MatrixFree and of the evaluation
// points, the cell/face/boundary workers of the loop, the inverse mass matrix,
// and the 1D faces between refinement levels that MatrixFree leaves out.
#include <mfdd/pde/dg_operator.h>
#include <mfdd/pde/tensor_contraction.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/matrix_free/fe_evaluation.h>
#include <deal.II/matrix_free/operators.h>

#include <algorithm>
#include <limits>
#include <type_traits>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    constexpr unsigned int n_lanes = VectorizedArray<double>::size();

    /// The velocity at the evaluation points first, first + 1, ... as one
    /// vectorised tensor (one point per lane).
    template <int dim>
    Tensor<1, dim, VectorizedArray<double>>
    velocity_batch(const std::vector<Tensor<1, dim>> &velocity, const unsigned int first)
    {
      Tensor<1, dim, VectorizedArray<double>> b;
      for (unsigned int v = 0; v < n_lanes; ++v)
        for (unsigned int d = 0; d < dim; ++d)
          b[d][v] = velocity[first + v][d];
      return b;
    }

    template <int dim>
    Point<dim>
    lane(const Point<dim, VectorizedArray<double>> &p, const unsigned int v)
    {
      Point<dim> result;
      for (unsigned int d = 0; d < dim; ++d)
        result[d] = p[d][v];
      return result;
    }
  } // namespace

  template <int dim>
  void
  DgOperator<dim>::reinit(const DoFHandler<dim> &dof_handler, const BoundaryPredicate &closed,
                          const BoundaryPredicate &on_axis_face, const bool with_diffusion,
                          const bool nodal_face_values)
  {
    degree    = dof_handler.get_fe().degree;
    diffusion = with_diffusion;
    typename MatrixFree<dim, double>::AdditionalData data;
    data.tasks_parallel_scheme = MatrixFree<dim, double>::AdditionalData::none;
    data.mapping_update_flags  = update_gradients | update_JxW_values | update_quadrature_points;
    data.mapping_update_flags_inner_faces = update_values | update_JxW_values | update_normal_vectors |
                                            update_quadrature_points | (with_diffusion ? update_gradients : update_default);
    data.mapping_update_flags_boundary_faces = data.mapping_update_flags_inner_faces;
    AffineConstraints<double> no_constraints;
    no_constraints.close();
    matrix_free.reinit(mapping, dof_handler, no_constraints, QGauss<1>(degree + 1), data);
    matrix_free.initialize_dof_vector(src);
    matrix_free.initialize_dof_vector(dst);
    nodal_faces = nodal_face_values && face_trace.reinit(matrix_free, src, with_diffusion);
    with_degree(degree, [&](auto k) { this->template collect_points<decltype(k)::value>(closed, on_axis_face); });
    // The inverse mass matrix writes each cell's DoFs, consecutive in FE_DGQ's
    // (lexicographic) order, at their place in the owned vector.
    const auto &numbering = matrix_free.get_shape_info().lexicographic_numbering;
    for (unsigned int i = 0; i < numbering.size(); ++i)
      AssertThrow(numbering[i] == i, ExcMessage("DgOperator: FE_DGQ DoFs are not lexicographic"));
    const IndexSet &owned = dof_handler.locally_owned_dofs();
    std::vector<types::global_dof_index> dofs(dof_handler.get_fe().n_dofs_per_cell());
    first_owned_dof.assign(matrix_free.n_cell_batches() * n_lanes, 0);
    for (unsigned int cell = 0; cell < matrix_free.n_cell_batches(); ++cell)
      for (unsigned int v = 0; v < matrix_free.n_active_entries_per_cell_batch(cell); ++v)
        {
          matrix_free.get_cell_iterator(cell, v)->get_dof_indices(dofs);
          AssertThrow(dofs.back() == dofs[0] + dofs.size() - 1, ExcMessage("DG DoFs of a cell are not consecutive"));
          first_owned_dof[cell * n_lanes + v] = owned.index_within_set(dofs[0]);
        }
    first_hanging_point = points.size();
    hanging_faces.clear();
    if (dim == 1)
      collect_hanging_faces_1d(dof_handler);
  }

  template <int dim>
  template <int fe_degree>
  void
  DgOperator<dim>::collect_points(const BoundaryPredicate &closed, const BoundaryPredicate &on_axis_face)
  {
    points.clear();
    point_cell_size.clear();
    const double unused = std::numeric_limits<double>::infinity(); // lanes without a cell
    FEEvaluation<dim, fe_degree> phi(matrix_free);
    for (unsigned int cell = 0; cell < matrix_free.n_cell_batches(); ++cell)
      {
        phi.reinit(cell);
        const unsigned int n_active = matrix_free.n_active_entries_per_cell_batch(cell);
        for (unsigned int q = 0; q < phi.n_q_points; ++q)
          for (unsigned int v = 0; v < n_lanes; ++v)
            {
              points.push_back(lane(phi.quadrature_point(q), v));
              point_cell_size.push_back(v < n_active ? matrix_free.get_cell_iterator(cell, v)->minimum_vertex_distance() :
                                                       unused);
            }
      }
    first_face_point                 = points.size();
    const unsigned int n_inner       = matrix_free.n_inner_face_batches();
    const unsigned int n_faces       = n_inner + matrix_free.n_boundary_face_batches();
    const double       penalty_scale = (fe_degree + 1.) * (fe_degree + 1.);
    penalty.resize(n_faces);
    open.resize(n_faces);
    outflow_slot.assign(n_faces, {});
    normal_JxW.clear();
    face_JxW.clear();
    FEFaceEvaluation<dim, fe_degree> face(matrix_free, true);
    for (unsigned int f = 0; f < n_faces; ++f)
      {
        face.reinit(f);
        const unsigned int       n_active = matrix_free.n_active_entries_per_face_batch(f);
        std::array<double, n_lanes> h;
        for (unsigned int v = 0; v < n_lanes; ++v)
          {
            h[v] = unused;
            if (v < n_active)
              {
                h[v] = matrix_free.get_face_iterator(f, v, true).first->minimum_vertex_distance();
                if (f < n_inner)
                  h[v] = std::min(h[v], matrix_free.get_face_iterator(f, v, false).first->minimum_vertex_distance());
              }
            penalty[f][v] = v < n_active ? penalty_scale / h[v] : 0.;
            Tensor<1, dim> normal;
            for (unsigned int d = 0; d < dim; ++d)
              normal[d] = face.get_normal_vector(0)[d][v];
            const bool boundary = f >= n_inner && v < n_active;
            const auto z        = lane(face.quadrature_point(0), v);
            open[f][v]          = boundary && closed(z, normal, h[v]) ? 0. : 1.;
            outflow_slot[f][v]  = boundary && on_axis_face && on_axis_face(z, normal, h[v]) ? Outflow::axis_slot :
                                                                                               Outflow::side_slot(normal);
          }
        for (unsigned int q = 0; q < face.n_q_points; ++q)
          for (unsigned int v = 0; v < n_lanes; ++v)
            {
              points.push_back(lane(face.quadrature_point(q), v));
              point_cell_size.push_back(h[v]);
              normal_JxW.push_back(lane(Point<dim, VectorizedArray<double>>(face.get_normal_vector(q) * face.JxW(q)), v));
              face_JxW.push_back(face.JxW(q)[v]);
            }
      }
  }

  template <int dim>
  Outflow
  DgOperator<dim>::apply(const VectorType &u, const std::vector<Tensor<1, dim>> &velocity, const double nu,
                         VectorType &rate)
  {
    AssertThrow(nu == 0. || diffusion, ExcMessage("DgOperator: set up without diffusion"));
    AssertDimension(velocity.size(), points.size());
    AssertDimension(u.locally_owned_size(), src.locally_owned_size());
    std::copy(u.begin(), u.end(), src.begin());
    return with_degree(degree,
                       [&](auto k) { return this->template apply_degree<decltype(k)::value>(velocity, nu, rate); });
  }

  template <int dim>
  template <int fe_degree>
  Outflow
  DgOperator<dim>::apply_degree(const std::vector<Tensor<1, dim>> &velocity, const double nu, VectorType &rate)
  {
    using Number                   = VectorizedArray<double>;
    using Range                    = std::pair<unsigned int, unsigned int>;
    using Cell                     = FEEvaluation<dim, fe_degree>;
    using Face                     = FEFaceEvaluation<dim, fe_degree>;
    // Gradients only for the diffusion.
    const EvaluationFlags::EvaluationFlags flags =
      nu > 0. ? EvaluationFlags::values | EvaluationFlags::gradients : EvaluationFlags::values;
    Outflow outflow;

    // int_K (rho b - nu grad rho) . grad phi
    const auto cell_worker = [&](const MatrixFree<dim, double> &data, MfVector &out, const MfVector &in, const Range &cells) {
      Cell phi(data);
      for (unsigned int cell = cells.first; cell < cells.second; ++cell)
        {
          phi.reinit(cell);
          phi.gather_evaluate(in, flags);
          for (unsigned int q = 0; q < phi.n_q_points; ++q)
            {
              auto flux = velocity_batch(velocity, (cell * phi.n_q_points + q) * n_lanes) * phi.get_value(q);
              if (nu > 0.)
                flux -= nu * phi.get_gradient(q);
              phi.submit_gradient(flux, q);
            }
          phi.integrate_scatter(EvaluationFlags::gradients, out);
        }
    };
    // Inner faces: -(b.n rho_upwind - nu ({d_n rho} - sigma [rho])) [phi] + nu [rho] {d_n phi},
    // n the normal of the minus (interior) side, which FEFaceEvaluation uses on both sides.
    const auto face_worker = [&](const MatrixFree<dim, double> &data, MfVector &out, const MfVector &in, const Range &faces) {
      Face minus(data, true), plus(data, false);
      for (unsigned int f = faces.first; f < faces.second; ++f)
        {
          minus.reinit(f);
          plus.reinit(f);
          minus.gather_evaluate(in, flags);
          plus.gather_evaluate(in, flags);
          for (unsigned int q = 0; q < minus.n_q_points; ++q)
            {
              const auto   b         = velocity_batch(velocity, first_face_point + (f * minus.n_q_points + q) * n_lanes);
              const Number bn        = b * minus.get_normal_vector(q);
              const Number rho_minus = minus.get_value(q), rho_plus = plus.get_value(q);
              Number       flux =
                bn * compare_and_apply_mask<SIMDComparison::greater_than>(bn, Number(0.), rho_minus, rho_plus);
              if (nu > 0.)
                {
                  const Number jump = rho_minus - rho_plus;
                  flux -= nu * (0.5 * (minus.get_normal_derivative(q) + plus.get_normal_derivative(q)) - penalty[f] * jump);
                  minus.submit_normal_derivative(0.5 * nu * jump, q);
                  plus.submit_normal_derivative(0.5 * nu * jump, q);
                }
              minus.submit_value(-flux, q);
              plus.submit_value(flux, q);
            }
          minus.integrate_scatter(flags, out);
          plus.integrate_scatter(flags, out);
        }
    };
    // Boundary faces: outside value 0; closed faces (open = 0) carry nothing.
    const auto boundary_worker = [&](const MatrixFree<dim, double> &data, MfVector &out, const MfVector &in,
                                     const Range &faces) {
      Face minus(data, true);
      for (unsigned int f = faces.first; f < faces.second; ++f)
        {
          minus.reinit(f);
          minus.gather_evaluate(in, flags);
          const unsigned int n_active = data.n_active_entries_per_face_batch(f);
          for (unsigned int q = 0; q < minus.n_q_points; ++q)
            {
              const auto   b         = velocity_batch(velocity, first_face_point + (f * minus.n_q_points + q) * n_lanes);
              const Number bn        = b * minus.get_normal_vector(q);
              const Number rho_minus = minus.get_value(q);
              Number flux = bn * compare_and_apply_mask<SIMDComparison::greater_than>(bn, Number(0.), rho_minus, Number(0.));
              if (nu > 0.)
                {
                  flux -= nu * (minus.get_normal_derivative(q) - penalty[f] * rho_minus);
                  minus.submit_normal_derivative(nu * rho_minus * open[f], q);
                }
              flux *= open[f];
              minus.submit_value(-flux, q);
              const Number flux_JxW = flux * minus.JxW(q);
              for (unsigned int v = 0; v < n_active; ++v)
                outflow.slot[outflow_slot[f][v]] += flux_JxW[v];
            }
          minus.integrate_scatter(flags, out);
        }
    };
    // The same fluxes with NodalFaceTrace in place of FEFaceEvaluation: JxW
    // in normal_JxW and face_JxW; values[side * n + q] (side 0: minus).
    constexpr unsigned int n_face_points = Utilities::pow(fe_degree + 1, dim - 1);
    // With the diffusion a compile-time flag (without it the transport runs 15% faster).
    const auto nodal_face_worker = [&](auto with_diffusion) {
      return [&](const MatrixFree<dim, double> &data, MfVector &out, const MfVector &in, const Range &faces) {
        std::array<double, 2 * n_face_points> values, derivatives;
        double *const                         normal_derivatives = with_diffusion ? derivatives.data() : nullptr;
        for (unsigned int f = faces.first; f < faces.second; ++f)
          for (unsigned int v = 0; v < data.n_active_entries_per_face_batch(f); ++v)
            {
              face_trace.template evaluate<fe_degree>(in, f, v, true, values.data(), normal_derivatives);
              for (unsigned int q = 0; q < n_face_points; ++q)
                {
                  const unsigned int point = (f * n_face_points + q) * n_lanes + v;
                  const double       bn    = velocity[first_face_point + point] * normal_JxW[point];
                  const double rho_minus = values[q], rho_plus = values[n_face_points + q];
                  double       flux      = bn * (bn > 0. ? rho_minus : rho_plus);
                  if constexpr (decltype(with_diffusion)::value)
                    {
                      const double jump = rho_minus - rho_plus, JxW = face_JxW[point];
                      flux -= nu * JxW * (0.5 * (derivatives[q] + derivatives[n_face_points + q]) - penalty[f][v] * jump);
                      derivatives[q] = derivatives[n_face_points + q] = 0.5 * nu * jump * JxW;
                    }
                  values[q]                 = -flux;
                  values[n_face_points + q] = flux;
                }
              face_trace.template integrate<fe_degree>(values.data(), normal_derivatives, f, v, true, out);
            }
      };
    };
    const auto nodal_boundary_worker = [&](auto with_diffusion) {
      return [&](const MatrixFree<dim, double> &data, MfVector &out, const MfVector &in, const Range &faces) {
        std::array<double, n_face_points> values, derivatives;
        double *const                     normal_derivatives = with_diffusion ? derivatives.data() : nullptr;
        for (unsigned int f = faces.first; f < faces.second; ++f)
          for (unsigned int v = 0; v < data.n_active_entries_per_face_batch(f); ++v)
            {
              face_trace.template evaluate<fe_degree>(in, f, v, false, values.data(), normal_derivatives);
              double outflow_rate = 0.;
              for (unsigned int q = 0; q < n_face_points; ++q)
                {
                  const unsigned int point     = (f * n_face_points + q) * n_lanes + v;
                  const double       bn        = velocity[first_face_point + point] * normal_JxW[point];
                  const double       rho_minus = values[q];
                  double             flux      = bn > 0. ? bn * rho_minus : 0.;
                  if constexpr (decltype(with_diffusion)::value)
                    {
                      const double JxW = face_JxW[point];
                      flux -= nu * JxW * (derivatives[q] - penalty[f][v] * rho_minus);
                      derivatives[q] = nu * rho_minus * open[f][v] * JxW;
                    }
                  flux *= open[f][v];
                  outflow_rate += flux;
                  values[q] = -flux;
                }
              outflow.slot[outflow_slot[f][v]] += outflow_rate;
              face_trace.template integrate<fe_degree>(values.data(), normal_derivatives, f, v, false, out);
            }
      };
    };
    if (nodal_faces && nu > 0.)
      matrix_free.template loop<MfVector, MfVector>(cell_worker, nodal_face_worker(std::true_type()),
                                                    nodal_boundary_worker(std::true_type()), dst, src, true);
    else if (nodal_faces)
      matrix_free.template loop<MfVector, MfVector>(cell_worker, nodal_face_worker(std::false_type()),
                                                    nodal_boundary_worker(std::false_type()), dst, src, true);
    else
      matrix_free.template loop<MfVector, MfVector>(cell_worker, face_worker, boundary_worker, dst, src, true);
    if (!hanging_faces.empty())
      apply_hanging_faces_1d(velocity, nu);

    // rate = M^{-1} dst, cell by cell (exact: the mass matrix is the Gauss
    // one), written straight into rate's cells (one pass less over memory than
    // set_dof_values into dst and a copy).
    Cell                                                           phi(matrix_free);
    MatrixFreeOperators::CellwiseInverseMassMatrix<dim, fe_degree> inverse_mass(phi);
    double *const                                                  out = rate.begin();
    for (unsigned int cell = 0; cell < matrix_free.n_cell_batches(); ++cell)
      {
        phi.reinit(cell);
        phi.read_dof_values(dst);
        inverse_mass.apply(phi.begin_dof_values(), phi.begin_dof_values());
        const unsigned int n_active = matrix_free.n_active_entries_per_cell_batch(cell);
        for (unsigned int v = 0; v < n_active; ++v)
          {
            double *const values = out + first_owned_dof[cell * n_lanes + v];
            for (unsigned int i = 0; i < phi.dofs_per_cell; ++i)
              values[i] = phi.begin_dof_values()[i][v];
          }
      }
    return outflow;
  }

  template <int dim>
  void
  DgOperator<dim>::collect_hanging_faces_1d(const DoFHandler<dim> &dof_handler)
  {
    // deal.II 9.4's MatrixFree in 1D builds no face between cells of
    // different refinement levels (neither inner nor boundary), so an adaptive
    // 1D mesh would lose the flux there: those faces are integrated here, from
    // the coarse side, with FEFaceValues (a face is a point: JxW = 1).
    FEFaceValues<dim> coarse_values(mapping, dof_handler.get_fe(), QGauss<dim - 1>(1),
                                    update_values | update_gradients | update_normal_vectors | update_quadrature_points);
    FEFaceValues<dim> fine_values(mapping, dof_handler.get_fe(), QGauss<dim - 1>(1), update_values | update_gradients);
    const unsigned int n_dofs = dof_handler.get_fe().n_dofs_per_cell();
    for (const auto &cell : dof_handler.active_cell_iterators())
      for (const unsigned int f : cell->face_indices())
        if (!cell->at_boundary(f) && cell->neighbor(f)->has_children())
          {
            auto fine = cell->neighbor(f);
            while (fine->has_children())
              fine = fine->child(1 - f);
            coarse_values.reinit(cell, f);
            fine_values.reinit(fine, 1 - f);
            HangingFace1d face;
            face.normal  = coarse_values.normal_vector(0)[0];
            face.penalty = (degree + 1.) * (degree + 1.) /
                           std::min(cell->minimum_vertex_distance(), fine->minimum_vertex_distance());
            const std::array<const FEFaceValues<dim> *, 2> sides = {{&coarse_values, &fine_values}};
            const std::array<typename DoFHandler<dim>::active_cell_iterator, 2> side_cells = {{cell, fine}};
            for (unsigned int s = 0; s < 2; ++s)
              {
                face.dofs[s].resize(n_dofs);
                side_cells[s]->get_dof_indices(face.dofs[s]);
                for (unsigned int i = 0; i < n_dofs; ++i)
                  {
                    face.value[s].push_back(sides[s]->shape_value(i, 0));
                    face.derivative[s].push_back(sides[s]->shape_grad(i, 0)[0] * face.normal);
                  }
              }
            points.push_back(coarse_values.quadrature_point(0));
            point_cell_size.push_back(std::min(cell->minimum_vertex_distance(), fine->minimum_vertex_distance()));
            hanging_faces.push_back(std::move(face));
          }
  }

  template <int dim>
  void
  DgOperator<dim>::apply_hanging_faces_1d(const std::vector<Tensor<1, dim>> &velocity, const double nu)
  {
    // The same fluxes as the face worker of apply_degree(), coarse side = minus.
    for (unsigned int k = 0; k < hanging_faces.size(); ++k)
      {
        const HangingFace1d  &face = hanging_faces[k];
        std::array<double, 2> rho{}, derivative{};
        for (unsigned int s = 0; s < 2; ++s)
          for (unsigned int i = 0; i < face.dofs[s].size(); ++i)
            {
              rho[s] += src(face.dofs[s][i]) * face.value[s][i];
              derivative[s] += src(face.dofs[s][i]) * face.derivative[s][i];
            }
        const double bn   = velocity[first_hanging_point + k][0] * face.normal;
        double       flux = bn * (bn > 0. ? rho[0] : rho[1]);
        double       symmetry = 0.;
        if (nu > 0.)
          {
            const double jump = rho[0] - rho[1];
            flux -= nu * (0.5 * (derivative[0] + derivative[1]) - face.penalty * jump);
            symmetry = 0.5 * nu * jump;
          }
        for (unsigned int s = 0; s < 2; ++s)
          for (unsigned int i = 0; i < face.dofs[s].size(); ++i)
            dst(face.dofs[s][i]) += (s == 0 ? -flux : flux) * face.value[s][i] + symmetry * face.derivative[s][i];
      }
  }

  // The solver's dimensions, and 3D (checked by test_pde_operator; the
  // solver refuses the 3D setting so far).
  template class DgOperator<1>;
  template class DgOperator<2>;
  template class DgOperator<3>;
} // namespace mfdd::pde
