# SGD step throughput: run benchmarks/sgd_step.sh <build folder>.
add_executable(sgd_step ${CMAKE_CURRENT_SOURCE_DIR}/sgd_step.cc)
target_link_libraries(sgd_step mfdd_particles)
deal_ii_setup_target(sgd_step)
add_dependencies(benchmarks sgd_step)
# Sampled R_N at large N: risk_estimate N d [T] [M] [exact].
add_executable(risk_estimate ${CMAKE_CURRENT_SOURCE_DIR}/risk_estimate.cc)
target_link_libraries(risk_estimate mfdd_particles)
deal_ii_setup_target(risk_estimate)
add_dependencies(benchmarks risk_estimate)
