# PDE solver (issue 3).
mfdd_gtest(test_pde_exact LIBS mfdd_pde LABELS unit pde TIMEOUT 300)
