// The PDE section: discretisation, mesh, initial density, adaptivity.
#include <mfdd/io/input_error.h>
#include <mfdd/io/parameter_file.h>
#include <mfdd/pde/parameters.h>

#include <algorithm>
#include <cmath>

namespace mfdd::pde
{
  using namespace dealii;

  namespace
  {
    std::vector<unsigned int>
    parse_count_list(const std::string &text, const std::string &parameter)
    {
      std::vector<unsigned int> counts;
      for (const double x : io::parse_double_list(text, parameter))
        {
          io::require(x >= 1. && x == std::floor(x), parameter, "entries must be positive integers");
          counts.push_back(static_cast<unsigned int>(x));
        }
      return counts;
    }
  } // namespace

  // The 2D default is adaptive because a uniform mesh that comes near Risk
  // tolerance costs minutes: (a, r) with a uniform law of a (jumps), d = 40,
  // T = 2, 2 ranks, sup_t risk error against this default with one more
  // global refinement: 48^2 uniform 5 s and 2.7e-4, 96^2 28 s and 5.8e-5,
  // 192^2 5 min and 1.2e-5, this default 22 s and 1.3e-5 (estimate 7.2e-6).
  SolverParameters
  SolverParameters::with_default_mesh(const unsigned int dim) const
  {
    SolverParameters p = *this;
    if (!p.subdivisions.empty() || !p.mesh_file.empty())
      return p;
    if (dim == 1)
      {
        p.subdivisions.assign(1, 200);
        return p;
      }
    // 3D: 12 cells per coordinate and 2 levels finer where needed (the box
    // is mostly empty); R(rho_0) of params/pde_amplitude_two_radii.prm is
    // then 1e-6 from 24^3 uniform cells, while 16^3 uniform cells are 2.2e-3 off.
    p.subdivisions.assign(dim, dim == 3 ? 12 : 24);
    if (!p.adaptivity.enabled())
      {
        p.adaptivity.interval      = 10;
        p.adaptivity.indicator     = "jumps";
        p.adaptivity.minimum_level = 0;
        p.adaptivity.maximum_level = p.global_refinements + (dim == 3 ? 2 : 3);
      }
    return p;
  }

  unsigned int
  SolverParameters::refinements_for_tolerance(const unsigned int dim) const
  {
    if (tolerance_refinements)
      return *tolerance_refinements;
    // In 3D a refinement costs 16x: a run there only warns unless asked.
    const bool default_mesh = subdivisions.empty() && mesh_file.empty();
    return dim <= 2 && default_mesh && risk_error_estimate && risk_tolerance > 0. ? 2 : 0;
  }

  void
  SolverParameters::declare_parameters(ParameterHandler &prm)
  {
    using namespace Patterns;
    prm.enter_subsection("PDE");
    prm.declare_entry("Degree", "2", Integer(1, 5), "Polynomial degree k of the FE_DGQ elements (1 to 5).");
    prm.declare_entry("CFL number", "0.15", Double(0.),
                      "dt = CFL min_K h_K / max_K |velocity|_1; must be > 0 and at most the bound under which "
                      "the Zhang-Shu limiter keeps the cell means >= 0: 1/2 (k = 1), 1/6 (k = 2, 3), 1/12 "
                      "(k = 4, 5; a p-study is checked at its highest degree). The default suits k <= 3.");
    prm.declare_entry("Time step", "0", Double(0.),
                      "Fixed time step (the last step before an output time is shortened); 0: from the CFL number.");
    prm.declare_entry("Box lower", "", Anything(),
                      "Lower corner of the generated box, one number per reduced coordinate (a, r; r1, r2; a, r1, r2); "
                      "empty: a_lower - (a_upper - a_lower)/2 for a; 0 for radii, or with noise (tau > 0) half "
                      "the radius below which the initial law has mass 1e-12 if that is more than one cell "
                      "(the noise's drift (m - 1) nu / r would force tiny time steps near r = 0, where a "
                      "high-dimensional block has no mass).");
    prm.declare_entry("Box upper", "", Anything(),
                      "Upper corner of the generated box; empty: 2.5 times the radius beyond which the "
                      "initial law has mass 1e-12, a_upper + (a_upper - a_lower)/2 for a. A box generated "
                      "this way grows: when a run has lost more than 1e-6 of its mass through its sides, it "
                      "stops at that output time and is repeated, up to 4 times, on a box grown at the sides "
                      "that lost the most (an amplitude's side by half the a-range, a radius's upper end by "
                      "its whole length), with cells of the same size.");
    prm.declare_entry("Subdivisions", "", Anything(),
                      "Cells of the generated box per coordinate (one number, or one per coordinate); "
                      "empty: 200 in 1D; in 2D 24 per coordinate refined adaptively (the jumps indicator "
                      "every 10 steps, up to 3 levels finer than Global refinements, with Adaptive mesh's "
                      "fractions) unless Adaptive mesh/Interval > 0 sets the adaptivity itself; in 3D the "
                      "same with 12 per coordinate and up to 2 levels finer. On (a, r) with a "
                      "uniform law of a to T = 2 that default is 1.3e-5 off in risk, in 22 s on 2 ranks.");
    prm.declare_entry("Global refinements", "0", Integer(0, 10),
                      "Uniform refinements of the box or of the mesh file's mesh.");
    prm.declare_entry("Mesh file", "", Anything(),
                      "A Gmsh (.msh) mesh of the reduced coordinates (2D or 3D); relative paths are relative to the "
                      "parameter file's folder. Empty: the generated box.");
    prm.declare_entry("Initial density", "built in", Anything(),
                      "'built in' (the law of z under Problem's initial law) or a muparser expression in the "
                      "reduced coordinates (r; a,r; r1,r2; a,r1,r2), non-negative, normalised to mass 1 on the mesh.");
    prm.declare_entry("Potential nodes", "96", Integer(4, 400),
                      "Chebyshev-Lobatto nodes per radius on which V and U are interpolated (the amplitude a "
                      "needs none: psi is linear in a). The kernel table has (nodes)^(2 x radii) entries: with "
                      "two radii (r1, r2; a, r1, r2) 30 to 40 nodes are the practical range.");
    prm.declare_entry("Sample cells", "", Anything(),
                      "Cells per coordinate of the uniform grid on which the density is handed to the "
                      "comparison layer and written to pde_final.csv; empty: 10000 (1D), 400 (2D), 64 (3D).");
    prm.declare_entry("Box sides", "automatic", Selection("automatic|absorbing|reflecting"),
                      "What the sides of the box (or mesh) other than r = 0 do. absorbing: nothing flows in, "
                      "what flows out is lost and counted in mass_out (right for a box that holds the density "
                      "up to negligible tails). reflecting: no flux at all, so mass stays in the box and a "
                      "noisy run can reach its stationary state there. automatic: reflecting when "
                      "Problem/Temperature tau > 0 and Problem/Weight decay lambda > 0 (the density is "
                      "confined), absorbing otherwise.");
    prm.declare_entry("Noise time stepping", "automatic", Selection("automatic|explicit|implicit"),
                      "How the noise (Problem/Temperature tau > 0) is stepped. explicit: with the transport in "
                      "the SSP-RK3 stages, so dt is also bounded by CFL h^2 / (2 dim nu (k + 1)^2) and by the "
                      "drift nu (m - 1)/r near r = 0. implicit: IMEX ARS(2,2,2), the transport explicit and the "
                      "whole linear noise operator (drift and SIPG Laplacian) implicit, solved with Trilinos "
                      "(PDE/Noise solver), so dt is bounded by the transport alone and kept constant between "
                      "output times. automatic: implicit if explicit noise would cut the transport's CFL step "
                      "by more than half at the start of the run (two linear solves per step are then paid "
                      "for), explicit otherwise; decided on the risk error estimate's first coarse companion when "
                      "there is one, so that all its solves step the noise alike. Without noise the setting has "
                      "no effect.");
    prm.declare_entry("Noise solver", "direct", Selection("direct|iterative"),
                      "How the implicit noise stages' linear systems (M - c K) x = b are solved. direct: "
                      "Trilinos Amesos KLU (LU factorisation, in 2D gathered on one rank; refactorised only "
                      "when dt or nu changes). iterative: GMRES preconditioned by Trilinos ML AMG with an ILU "
                      "smoother, to a relative residual of 1e-13 (slower on the meshes mfdd runs; kept for "
                      "comparison and for meshes too large to factorise).");
    prm.declare_entry("Convergence study", "none", Selection("none|h|p|dt"),
                      "none: one solve. h, p, dt: `mfdd pde` solves the problem on Convergence levels "
                      "successive refinements instead (h: one more global refinement per level; p: degree + 1 "
                      "per level; dt: half the time step, or half the CFL number, per level) and writes "
                      "convergence.csv: each level's sup over the output times of |risk - finest risk| and of "
                      "|mean of each coordinate - finest|, with the observed orders log2(e_{l-1}/e_l) computed "
                      "by deal.II's ConvergenceTable (which also prints the table).");
    prm.declare_entry("Convergence levels", "3", Integer(3, 8),
                      "Number of solves of a convergence study (>= 3: the finest is the reference, so at least "
                      "two errors and one order).");
    prm.declare_entry("Risk error estimate", "true", Bool(),
                      "Estimate the error of the risk curve and write it in the risk_error_estimate column of "
                      "pde_diagnostics.csv (its sup over t in the closing line of `mfdd pde`): two companion solves "
                      "on the mesh coarsened once (one global refinement fewer, else half the box's subdivisions), "
                      "one with the solve's time step and one with twice that, and Richardson extrapolation of "
                      "the space and the time error separately: |R_h - R_2h,dt| / (2^p_s - 1) + "
                      "|R_2h,dt - R_2h,2dt| / (2^p_t - 1), p_s = 2 Degree + 1/2 (Degree + 1/2 for a law with "
                      "jumps: uniform law of a, or an Initial density expression), p_t = 3 (2 with implicit "
                      "noise). A solve refined for Risk tolerance uses its previous solve instead, with the ratio "
                      "observed over its three solves, bounded to [2, 2^min(Degree + 1, 3)]. Cost: the companions "
                      "add about 3/8 of the solve in 2D, 3/4 in 1D. Not available (NaN, with a message) for a mesh "
                      "file without Global refinements. Measured within a factor 3 of the true error on 1D and 2D "
                      "cases with and without noise, but 0.22 of it with degree 1 on 24^2 cells of (a, r), a "
                      "pre-asymptotic mesh; see README.");
    prm.declare_entry("Risk tolerance", "1e-5", Double(0.),
                      "The risk error estimate (sup over t, PDE/Risk error estimate) a run should meet; 0: "
                      "none. A run above it warns with its estimate, or, while Refinements for tolerance allows, "
                      "is solved again on a finer mesh (its previous solve becomes the coarse "
                      "companion of the estimate; so a mesh file without Global refinements, which has no "
                      "estimate of its own, gets one from the first refinement).");
    prm.declare_entry("Refinements for tolerance", "automatic", Anything(),
                      "How many refinements (0 to 4) a run may add, one solve each, to meet Risk "
                      "tolerance: on an adaptive mesh one more level each (Maximum level + 1, the cells and "
                      "Minimum level kept: the indicator refines once more where it asks), on any other mesh "
                      "one more global refinement each. A global refinement costs about 4x (1D) or 8x (2D) the "
                      "previous solve, a level on the 2D default mesh about 5x; 0 only warns. "
                      "automatic: 2 on the 1D and 2D default mesh (Subdivisions empty, no Mesh file), 0 in 3D and on a mesh given "
                      "in the file, and 0 without an estimate or a tolerance.");
    prm.declare_entry("Print timing", "false", Bool(),
                      "Print, at the end of a run, the wall time spent in each part of the solver "
                      "(potential, operator, limiter, adaptivity, output) with deal.II's TimerOutput.");
    prm.enter_subsection("Adaptive mesh");
    prm.declare_entry("Interval", "0", Integer(0),
                      "Time steps between two adaptations of the mesh to the density (refinement and "
                      "coarsening; rho is moved by SolutionTransfer, keeping its mass to round-off); "
                      "0: the mesh stays fixed. The initial density is also adapted to, before the first step.");
    prm.declare_entry("Indicator", "jumps", Selection("jumps|mass"),
                      "What decides where to refine. 'jumps': h_K times the integral over the faces of K of "
                      "|rho_K - rho_neighbour| (the exterior value is 0 on the boundary); for DG the jumps are "
                      "of the size of the error, so this estimates the L1 error of rho on K. 'mass': int_K rho "
                      "(fine cells where the mass is).");
    prm.declare_entry("Refine fraction", "0.99", Double(0., 1.),
                      "Bulk marking: the cells below Maximum level with the largest indicators are refined until "
                      "the refined cells and those already at Maximum level carry this fraction of the total "
                      "indicator (so the coarser cells carry at most 1 - this fraction).");
    prm.declare_entry("Coarsen fraction", "0.001", Double(0., 1.),
                      "The cells with the smallest indicators whose sum is at most this fraction of the total are "
                      "coarsened (where all siblings are; never below Minimum level). Refine fraction + Coarsen "
                      "fraction must be <= 1.");
    prm.declare_entry("Minimum level", "0", Integer(0, 20),
                      "No cell is coarser than this level (level 0: the cells of the box or mesh file, level g "
                      "after Global refinements = g).");
    prm.declare_entry("Maximum level", "2", Integer(0, 20),
                      "No cell is finer than this level. The CFL time step is set by the smallest h_K / |velocity| "
                      "over the cells, so the finest level usually sets it.");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  void
  SolverParameters::parse_parameters(ParameterHandler &prm, unsigned int dim)
  {
    prm.enter_subsection("PDE");
    degree             = prm.get_integer("Degree");
    cfl                = prm.get_double("CFL number");
    time_step          = prm.get_double("Time step");
    box_lower          = io::parse_double_list(prm.get("Box lower"), "PDE/Box lower");
    box_upper          = io::parse_double_list(prm.get("Box upper"), "PDE/Box upper");
    subdivisions       = parse_count_list(prm.get("Subdivisions"), "PDE/Subdivisions");
    global_refinements = prm.get_integer("Global refinements");
    mesh_file          = prm.get("Mesh file");
    initial_density    = prm.get("Initial density");
    potential_nodes    = prm.get_integer("Potential nodes");
    sample_cells       = parse_count_list(prm.get("Sample cells"), "PDE/Sample cells");
    print_timing       = prm.get_bool("Print timing");
    risk_error_estimate = prm.get_bool("Risk error estimate");
    risk_tolerance        = prm.get_double("Risk tolerance");
    {
      const std::string refinements = prm.get("Refinements for tolerance");
      if (refinements == "automatic")
        tolerance_refinements.reset();
      else
        {
          io::require(Patterns::Integer(0, 4).match(refinements), "PDE/Refinements for tolerance",
                      "must be automatic or an integer from 0 to 4, not '" + refinements + "'");
          tolerance_refinements = static_cast<unsigned int>(Utilities::string_to_int(refinements));
        }
    }
    box_sides          = prm.get("Box sides");
    noise_time_stepping = prm.get("Noise time stepping");
    noise_solver        = prm.get("Noise solver");
    convergence_study  = prm.get("Convergence study");
    convergence_levels = prm.get_integer("Convergence levels");
    prm.enter_subsection("Adaptive mesh");
    adaptivity.interval         = prm.get_integer("Interval");
    adaptivity.indicator        = prm.get("Indicator");
    adaptivity.refine_fraction  = prm.get_double("Refine fraction");
    adaptivity.coarsen_fraction = prm.get_double("Coarsen fraction");
    adaptivity.minimum_level    = prm.get_integer("Minimum level");
    adaptivity.maximum_level    = prm.get_integer("Maximum level");
    prm.leave_subsection();
    prm.leave_subsection();

    if (adaptivity.enabled())
      {
        io::require(adaptivity.minimum_level <= adaptivity.maximum_level, "PDE/Adaptive mesh/Minimum level",
                    "must not exceed Maximum level");
        io::require(global_refinements <= adaptivity.maximum_level, "PDE/Adaptive mesh/Maximum level",
                    "must be at least PDE/Global refinements (the initial mesh is at that level)");
        io::require(adaptivity.refine_fraction + adaptivity.coarsen_fraction <= 1., "PDE/Adaptive mesh/Refine fraction",
                    "Refine fraction + Coarsen fraction must be <= 1");
      }

    io::require(cfl > 0., "PDE/CFL number", "must be positive");
    io::require(tolerance_refinements.value_or(0) == 0 || (risk_error_estimate && risk_tolerance > 0.),
                "PDE/Refinements for tolerance", "needs PDE/Risk error estimate = true and PDE/Risk tolerance > 0");
    io::require(global_refinements + refinements_for_tolerance(dim) <= 10, "PDE/Refinements for tolerance",
                "PDE/Global refinements + Refinements for tolerance must be at most 10");
    io::require(convergence_study != "p" || degree + convergence_levels - 1 <= 5, "PDE/Convergence levels",
                "a p-study raises the degree by one per level, up to 5: use at most " +
                  std::to_string(6 - std::min(degree, 5u)) + " levels from PDE/Degree = " + std::to_string(degree));
    io::require(convergence_study != "h" || global_refinements + convergence_levels - 1 <= 10, "PDE/Convergence levels",
                "an h-study adds one global refinement per level, up to 10 in all");
    // Above the bound the limiter no longer keeps the cell means >= 0 and the
    // solution degrades (degree 5 at CFL 0.15: 2.5e-4 off in risk at T = 2).
    const unsigned int highest_degree = degree + (convergence_study == "p" ? convergence_levels - 1 : 0);
    const double       bound          = highest_degree == 1 ? 0.5 : highest_degree <= 3 ? 1. / 6. : 1. / 12.;
    io::require(time_step > 0. || cfl <= bound * (1. + 1e-12), "PDE/CFL number",
                "must be at most " + std::to_string(bound) + " at degree " + std::to_string(highest_degree) +
                  " (the positivity limiter's bound: 1/2 at degree 1, 1/6 at 2 and 3, 1/12 at 4 and 5)");
    io::require(box_lower.size() == box_upper.size(), "PDE/Box lower",
                "Box lower and Box upper must both be empty or both have one entry per coordinate");
    io::require(box_lower.empty() || box_lower.size() == dim, "PDE/Box lower",
                "needs " + std::to_string(dim) + " entries (one per reduced coordinate)");
    for (unsigned int k = 0; k < box_lower.size(); ++k)
      io::require(box_lower[k] < box_upper[k], "PDE/Box upper", "must exceed Box lower in every coordinate");
    io::require(subdivisions.size() <= 1 || subdivisions.size() == dim, "PDE/Subdivisions",
                "needs one entry or one per coordinate");
    if (subdivisions.size() == 1)
      subdivisions.assign(dim, subdivisions[0]);
    io::require(sample_cells.size() <= 1 || sample_cells.size() == dim, "PDE/Sample cells",
                "needs one entry or one per coordinate");
    if (sample_cells.size() == 1)
      sample_cells.assign(dim, sample_cells[0]);
  }
} // namespace mfdd::pde
