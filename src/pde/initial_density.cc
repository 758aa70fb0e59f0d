// The initial density: the problem's built-in initial law or the PDE
// section's expression, projected cell by cell, limited and scaled to mass 1,
// with the check that the mesh holds the law.
#include <mfdd/io/expression.h>
#include <mfdd/io/input_error.h>
#include <mfdd/pde/solver.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>

#include <cmath>
#include <sstream>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    std::string
    variable_names(const model::ReducedSetting &setting)
    {
      std::string names;
      for (const auto &name : setting.coordinate_names())
        names += (names.empty() ? "" : ",") + name;
      return names;
    }

    /// The problem's initial law of z as a Function.
    template <int dim>
    class BuiltInDensity : public Function<dim>
    {
    public:
      explicit BuiltInDensity(const model::ReducedSetting &setting)
        : setting(setting)
      {}
      double
      value(const Point<dim> &z, unsigned int = 0) const override
      {
        double coordinates[dim];
        for (unsigned int k = 0; k < dim; ++k)
          coordinates[k] = z[k];
        return setting.initial_density(coordinates);
      }

    private:
      const model::ReducedSetting &setting;
    };
  } // namespace

  template <int dim>
  double
  Solver<dim>::project_density(const Function<dim> &density)
  {
    const QGauss<dim>  quadrature(parameters.degree + 4);
    FullMatrix<double> mass_matrix(n_dofs_per_cell, n_dofs_per_cell);
    Vector<double>     rhs(n_dofs_per_cell), local(n_dofs_per_cell);
    double             mass_of_density = 0.;
    std::string        error;
    for (unsigned int c = 0; c < n_owned_cells && error.empty(); ++c)
      {
        // Fresh per cell: a reused FEValues copies the Jacobians of the
        // previous cell if this one is a translation of it up to round-off,
        // and which cell comes before depends on the partition.
        FEValues<dim> fe_values(fe, quadrature, update_values | update_JxW_values | update_quadrature_points);
        fe_values.reinit(cells[c]);
        mass_matrix = 0.;
        rhs         = 0.;
        for (unsigned int q = 0; q < quadrature.size(); ++q)
          {
            const double f = density.value(fe_values.quadrature_point(q));
            if (!(f >= 0.) || !std::isfinite(f))
              {
                std::ostringstream where;
                where << fe_values.quadrature_point(q);
                error = "PDE/Initial density: value " + std::to_string(f) + " at z = (" + where.str() +
                        ") is negative or not finite";
                break;
              }
            mass_of_density += f * fe_values.JxW(q);
            for (unsigned int i = 0; i < n_dofs_per_cell; ++i)
              {
                rhs(i) += f * fe_values.shape_value(i, q) * fe_values.JxW(q);
                for (unsigned int j = 0; j < n_dofs_per_cell; ++j)
                  mass_matrix(i, j) += fe_values.shape_value(i, q) * fe_values.shape_value(j, q) * fe_values.JxW(q);
              }
          }
        mass_matrix.gauss_jordan();
        mass_matrix.vmult(local, rhs);
        std::copy(local.begin(), local.end(), owned_coefficients(solution, c));
      }
    // Every rank throws (the error of the lowest rank that found one).
    for (const auto &message : Utilities::MPI::all_gather(mesh_communicator, error))
      if (!message.empty())
        throw io::InputError(message);
    return Utilities::MPI::sum(mass_of_density, mesh_communicator);
  }

  template <int dim>
  void
  Solver<dim>::set_initial_density(const Function<dim> &density, bool check_containment)
  {
    double mass_of_density = project_density(density);
    // An adaptive mesh first adapts to the initial density (re-projected each
    // time, not transferred); each pass adds at most one level.
    if (parameters.adaptivity.enabled())
      for (unsigned int pass = 0; pass <= parameters.adaptivity.maximum_level && flag_cells_for_adaptation(); ++pass)
        {
          triangulation->execute_coarsening_and_refinement();
          setup_discretisation();
          mass_of_density = project_density(density);
        }
    io::require(mass_of_density > 0., "PDE/Initial density", "has no mass on the mesh");
    if (check_containment)
      io::require(mass_of_density >= 1. - 1e-10, "PDE/Box upper",
                  "the mesh holds only " + std::to_string(mass_of_density) +
                    " of the initial law's mass; enlarge the box or mesh");
    apply_limiter(solution);
    solution /= mass();
    current_time         = 0.;
    outflow              = {};
    step_count           = 0;
    last_adaptation_step = 0;
  }

  template <int dim>
  void
  Solver<dim>::set_density(const VectorType &coefficients)
  {
    solution = coefficients;
    apply_limiter(solution);
    solution /= mass();
  }

  template <int dim>
  void
  Solver<dim>::set_density(const Function<dim> &f)
  {
    io::require(project_density(f) > 0., "PDE/Initial density", "has no mass on the mesh");
    apply_limiter(solution);
    solution /= mass();
  }

  template <int dim>
  void
  Solver<dim>::set_initial_density()
  {
    const auto &setting = problem.reduced_setting();
    if (parameters.initial_density != "built in")
      {
        const auto function =
          io::parse_expression<dim>(variable_names(setting), parameters.initial_density, "PDE/Initial density");
        set_initial_density(*function, false);
        return;
      }
    io::require(!setting.has_amplitude() ||
                  setting.initial_law().a_law != model::InitialLaw::AmplitudeLaw::constant,
                "Problem/Initial a law", "'constant' has no density; the PDE needs 'uniform' or 'bump'");
    // The box must contain the initial law up to 1e-10 of its mass: checked on
    // the law's per-coordinate support (the amplitude law may be discontinuous,
    // which quadrature cannot resolve), and by quadrature for mesh files.
    const auto [lower, upper] = setting.initial_support(1e-12);
    const auto box            = bounding_box();
    for (unsigned int k = 0; k < dim; ++k)
      {
        const bool amplitude = setting.has_amplitude() && k == 0;
        const double low = amplitude ? setting.initial_law().a_lower : lower[k];
        const double high = amplitude ? setting.initial_law().a_upper : upper[k];
        io::require(box.lower_bound(k) <= low + 1e-12 && box.upper_bound(k) >= high - 1e-12,
                    parameters.mesh_file.empty() ? "PDE/Box upper" : "PDE/Mesh file",
                    "the mesh does not contain the initial law: coordinate " + setting.coordinate_names()[k] +
                      " needs [" + std::to_string(low) + ", " + std::to_string(high) + "]");
      }
    set_initial_density(BuiltInDensity<dim>(setting), !parameters.mesh_file.empty());
  }


#define MFDD_INSTANTIATE(dim) \
  template double Solver<dim>::project_density(const Function<dim> &density); \
  template void Solver<dim>::set_initial_density(const Function<dim> &density, bool check_containment); \
  template void Solver<dim>::set_initial_density(); \
  template void Solver<dim>::set_density(const VectorType &coefficients); \
  template void Solver<dim>::set_density(const Function<dim> &f);
  MFDD_FOR_EACH_REDUCED_DIMENSION(MFDD_INSTANTIATE)
#undef MFDD_INSTANTIATE
} // namespace mfdd::pde
