# Kernel (lazy) limit: the radial law of |x|, the kernel operator and
# its exponential, the tangent model, and the `mfdd kernel` command.
mfdd_gtest(test_ntk_radial_law LIBS mfdd_ntk LABELS unit TIMEOUT 120)
mfdd_gtest(test_ntk_kernel_limit LIBS mfdd_ntk LABELS unit TIMEOUT 300)
mfdd_script_test(test_ntk_cli test_ntk_cli.sh LABELS cli TIMEOUT 300)
mfdd_gtest(test_ntk_tangent_model LIBS mfdd_ntk mfdd_compare LABELS unit TIMEOUT 300)
mfdd_script_test(test_ntk_alpha test_ntk_alpha.py LABELS cli TIMEOUT 1200)
mfdd_gtest(test_ntk_tangent_mpi MPI LIBS mfdd_ntk LABELS unit TIMEOUT 120)
mfdd_script_test(test_ntk_alpha_jumps test_ntk_alpha_jumps.py LABELS cli slow TIMEOUT 1800)
