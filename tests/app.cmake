# Command-line behaviour of the `mfdd` program.
mfdd_script_test(cli_bad_input cli_bad_input.sh LABELS cli TIMEOUT 120)
mfdd_script_test(cli_parameters cli_parameters.sh LABELS cli TIMEOUT 300)
