# SGD particle simulator.
mfdd_gtest(test_particles_sgd MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_gtest(test_particles_blocked MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_script_test(test_particles_cli test_particles_cli.py LABELS cli TIMEOUT 300)
mfdd_gtest(test_particles_risk_estimate MPI LIBS mfdd_particles LABELS unit TIMEOUT 300)
mfdd_gtest(test_particles_activity_pattern LIBS mfdd_particles LABELS unit TIMEOUT 60)
target_include_directories(test_particles_activity_pattern PRIVATE ${CMAKE_SOURCE_DIR}/src/particles)
