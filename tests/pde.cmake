# PDE solver (issue 3).
mfdd_gtest(test_pde_exact LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_gtest(test_pde_nonlocal LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
mfdd_gtest(test_pde_examples LIBS mfdd_pde LABELS unit pde TIMEOUT 600)
target_compile_definitions(test_pde_examples PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
mfdd_script_test(test_pde_cli test_pde_cli.py LABELS cli pde mpi TIMEOUT 300)
mfdd_gtest(test_pde_convergence LIBS mfdd_pde LABELS unit pde TIMEOUT 600)
target_compile_definitions(test_pde_convergence PRIVATE MFDD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
