# Population kernels (src/kernels): accuracy against independent quadrature,
# Monte Carlo in full dimension, large-d rate, exact network risk on 1 and 2 ranks.
mfdd_gtest(test_kernels_reference LIBS mfdd_kernels LABELS unit TIMEOUT 300)
# The full grid of radii and every anisotropic case: several minutes.
add_test(NAME test_kernels_reference_full COMMAND test_kernels_reference)
set_tests_properties(test_kernels_reference_full PROPERTIES LABELS "unit;slow" TIMEOUT 3600
  ENVIRONMENT "${MFDD_TEST_ENVIRONMENT};MFDD_KERNELS_FULL=1" WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
mfdd_gtest(test_kernels_expectations LIBS mfdd_kernels LABELS unit TIMEOUT 300)
mfdd_gtest(test_kernels_monte_carlo LIBS mfdd_kernels LABELS unit TIMEOUT 300)
mfdd_gtest(test_kernels_network_risk LIBS mfdd_kernels LABELS unit MPI TIMEOUT 300)
mfdd_gtest(test_kernels_risk_estimate LIBS mfdd_kernels LABELS unit MPI TIMEOUT 300)
