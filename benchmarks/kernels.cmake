# R_N of a width-1000 network in d = 40 (goal: <= 0.5 s on one core).
add_executable(network_risk ${CMAKE_CURRENT_SOURCE_DIR}/network_risk.cc)
target_link_libraries(network_risk mfdd_kernels)
deal_ii_setup_target(network_risk)
add_dependencies(benchmarks network_risk)
