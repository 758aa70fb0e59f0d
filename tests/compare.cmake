# Comparison layer (issue 5): metrics, statistics, the `compare` and `study` commands.
mfdd_gtest(test_compare_metrics LIBS mfdd_compare LABELS unit TIMEOUT 120)
mfdd_gtest(test_compare_study MPI LIBS mfdd_compare LABELS unit TIMEOUT 180)
