# PDE solver.
mfdd_gtest(test_pde_exact LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_gtest(test_pde_nonlocal LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_gtest(test_pde_examples LIBS mfdd_pde LABELS unit pde TIMEOUT 600)
target_compile_definitions(test_pde_examples PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
mfdd_script_test(test_pde_cli test_pde_cli.py LABELS cli pde mpi TIMEOUT 600)
mfdd_gtest(test_pde_convergence LIBS mfdd_pde LABELS unit pde TIMEOUT 600)
target_compile_definitions(test_pde_convergence PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
mfdd_gtest(test_pde_adaptive MPI LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
target_compile_definitions(test_pde_adaptive PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
mfdd_gtest(test_pde_free_energy LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_script_test(test_pde_convergence_study test_pde_convergence_study.py LABELS cli pde TIMEOUT 300)
mfdd_script_test(test_pde_gibbs test_pde_gibbs.py LABELS cli pde TIMEOUT 300)
# About 5 minutes on 2 ranks (the PDE to equilibrium on 48 x 48 cells).
mfdd_script_test(test_pde_gibbs_2d test_pde_gibbs_2d.py LABELS cli pde mpi slow TIMEOUT 1800)
set_tests_properties(test_pde_gibbs_2d PROPERTIES RUN_SERIAL TRUE)
mfdd_gtest(test_pde_risk_error MPI LIBS mfdd_pde LABELS unit pde TIMEOUT 600)
target_compile_definitions(test_pde_risk_error PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# Its default-mesh case with jumps (about 105 s alone on 2 ranks; up to 390 s
# beside the other tests, whose 2-rank runs then share the 2 cores with its
# own) runs as a test of its own, alone.
set_tests_properties(test_pde_risk_error PROPERTIES
  ENVIRONMENT "${MFDD_TEST_ENVIRONMENT};GTEST_FILTER=-PdeDefaultMesh.AmplitudeRadiusWithJumps*")
add_test(NAME test_pde_risk_error_jumps
  COMMAND ${MPIEXEC_EXECUTABLE} -np 2 $<TARGET_FILE:test_pde_risk_error> --gtest_filter=PdeDefaultMesh.AmplitudeRadiusWithJumps*)
set_tests_properties(test_pde_risk_error_jumps PROPERTIES LABELS "unit;pde;mpi" TIMEOUT 600 RUN_SERIAL TRUE
  ENVIRONMENT "${MFDD_TEST_ENVIRONMENT}" WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
mfdd_gtest(test_pde_operator LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_gtest(test_pde_imex MPI LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
