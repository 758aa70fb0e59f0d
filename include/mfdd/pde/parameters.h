// The `PDE` section of the parameter files: discretisation, mesh, initial
// density and adaptivity of the reduced distributional dynamics' solver.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <optional>
#include <string>
#include <vector>

namespace mfdd::pde
{
  /**
   * The `PDE/Adaptive mesh` subsection: refinement and coarsening of the mesh
   * every few time steps so that it follows the density.
   */
  struct AdaptivityParameters
  {
    unsigned int interval = 0; ///< time steps between remeshings; 0: the mesh stays fixed
    std::string  indicator = "jumps"; ///< "jumps" or "mass"
    double       refine_fraction = 0.99, coarsen_fraction = 0.001;
    unsigned int minimum_level = 0, maximum_level = 2; ///< level 0: the box or mesh file

    bool
    enabled() const
    {
      return interval > 0;
    }
  };

  /**
   * The `PDE` section: discretisation, mesh and initial density of `mfdd pde`.
   */
  struct SolverParameters
  {
    unsigned int              degree      = 2;
    double                    cfl         = 0.15;
    double                    time_step   = 0.; ///< 0: from the CFL number
    std::vector<double>       box_lower, box_upper; ///< empty: from the initial law
    std::vector<unsigned int> subdivisions;         ///< empty: the default mesh (with_default_mesh())
    unsigned int              global_refinements = 0;
    std::string               mesh_file;            ///< Gmsh file (2D or 3D); empty: generated box
    std::string               initial_density = "built in";
    unsigned int              potential_nodes = 96;
    std::vector<unsigned int> sample_cells;         ///< empty: 10000 (1D) or 400 per coordinate (2D)
    AdaptivityParameters      adaptivity;
    bool                      print_timing = false; ///< TimerOutput summary at the end of a run
    /// The box's sides other than r = 0: "absorbing" (rho = 0 outside, the
    /// outflow counted in mass_out), "reflecting" (no flux), or "automatic"
    /// (reflecting when the noise and the weight decay confine the density).
    std::string               box_sides = "automatic";
    /// How the noise (tau > 0) is stepped: "explicit" (in the SSP-RK3 stages),
    /// "implicit" (IMEX, NoiseOperator) or "automatic" (implicit).
    std::string               noise_time_stepping = "automatic";
    /// PDE/Noise solver: direct | iterative (NoiseOperator).
    std::string               noise_solver = "direct";
    /// "none", or the refinement a convergence study varies: "h", "p" or "dt".
    std::string               convergence_study = "none";
    unsigned int              convergence_levels = 3; ///< solves of a convergence study
    /// Estimate the error of the risk curve from two companion solves on the
    /// mesh coarsened once (pde::solve, risk_error_estimate.h).
    bool                      risk_error_estimate = true;
    /// The risk error estimate (sup over t) a run should meet; 0: none.
    double                    risk_tolerance = 1e-5;
    /// Global refinements pde::solve may add, one per solve, until the
    /// estimate meets risk_tolerance; empty: automatic (refinements_for_tolerance()).
    std::optional<unsigned int> tolerance_refinements;

    /**
     * These parameters with the default mesh filled in where Subdivisions is
     * empty (and there is no mesh file): 200 cells in 1D; in 2D 24 per
     * coordinate, adaptive (every 10 steps up to 3 levels finer, the jumps
     * indicator) unless Adaptive mesh/Interval already asks for adaptivity.
     */
    SolverParameters
    with_default_mesh(unsigned int dim) const;

    /// Refinements for tolerance as a number: if automatic, 2 on the default
    /// mesh (no Subdivisions, no mesh file) of dimension @p dim <= 2 with an
    /// estimate and a tolerance, else 0 (a mesh the user chose is kept).
    unsigned int
    refinements_for_tolerance(unsigned int dim) const;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    /// Reads and checks the section (InputError naming the parameter); @p dim is
    /// the reduced dimension of the problem, for list lengths.
    void
    parse_parameters(dealii::ParameterHandler &prm, unsigned int dim);
  };
} // namespace mfdd::pde
