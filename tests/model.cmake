mfdd_gtest(test_model LIBS mfdd_model LABELS unit TIMEOUT 120)
