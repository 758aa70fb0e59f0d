# Comparison layer: metrics, statistics, the `compare` and `study` commands.
mfdd_gtest(test_compare_metrics LIBS mfdd_compare LABELS unit TIMEOUT 120)
mfdd_gtest(test_compare_parameters LIBS mfdd_compare LABELS unit TIMEOUT 60)
mfdd_gtest(test_compare_study MPI LIBS mfdd_compare LABELS unit TIMEOUT 180)
mfdd_script_test(test_compare_cli test_compare_cli.sh LABELS cli TIMEOUT 120)
mfdd_script_test(test_compare_cli_runs test_compare_cli_runs.sh LABELS cli mpi TIMEOUT 300)
# The checks of the width and step-size laws on params/study_quick.prm (minutes on 2 cores).
mfdd_script_test(test_compare_study_quick test_compare_study_quick.py LABELS slow mpi TIMEOUT 1800)
mfdd_script_test(test_compare_noise test_compare_noise.py LABELS cli TIMEOUT 300)
mfdd_script_test(test_compare_gibbs test_compare_gibbs.py LABELS cli TIMEOUT 300)
mfdd_script_test(test_compare_two_radii test_compare_two_radii.py LABELS cli TIMEOUT 300)
# SGD against the 3D (a, r1, r2) PDE on 2 ranks (2 to 3 min): alone, so that its
# ranks do not share the 2 cores with other tests.
mfdd_script_test(test_compare_amplitude_two_radii test_compare_amplitude_two_radii.py LABELS cli mpi TIMEOUT 600)
set_tests_properties(test_compare_amplitude_two_radii PROPERTIES RUN_SERIAL TRUE)
