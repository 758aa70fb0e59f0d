# SGD particle simulator.
mfdd_gtest(test_particles_sgd MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_gtest(test_particles_blocked MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_script_test(test_particles_cli test_particles_cli.py LABELS cli TIMEOUT 300)
mfdd_gtest(test_particles_risk_estimate MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_gtest(test_particles_activity_pattern LIBS mfdd_particles LABELS unit TIMEOUT 60)
target_include_directories(test_particles_activity_pattern PRIVATE ${CMAKE_SOURCE_DIR}/src/particles)
# The blocked step and the activity pattern on the AVX2 and the baseline
# kernels as well, whatever this CPU has: MFDD_SIMD caps the instruction set
# of the kernels picked at run time.
foreach(simd avx2 none)
  add_test(NAME test_particles_blocked_${simd} COMMAND ${MPIEXEC_EXECUTABLE} -np 2 $<TARGET_FILE:test_particles_blocked>)
  add_test(NAME test_particles_activity_pattern_${simd} COMMAND $<TARGET_FILE:test_particles_activity_pattern>)
  set_tests_properties(test_particles_blocked_${simd} test_particles_activity_pattern_${simd} PROPERTIES
    LABELS "unit" TIMEOUT 300 ENVIRONMENT "${MFDD_TEST_ENVIRONMENT};MFDD_SIMD=${simd}"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_property(TEST test_particles_blocked_${simd} APPEND PROPERTY LABELS mpi)
endforeach()
