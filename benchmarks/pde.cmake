# PDE solver: wall time against accuracy and cost per step.
add_executable(pde_benchmark ${CMAKE_CURRENT_SOURCE_DIR}/pde_benchmark.cc)
target_link_libraries(pde_benchmark mfdd_pde)
target_compile_definitions(pde_benchmark PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
deal_ii_setup_target(pde_benchmark)
add_dependencies(benchmarks pde_benchmark)
