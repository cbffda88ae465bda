# End-to-end tests: the real `cohort` binary under mpirun, checked through sqlite3.
add_test(NAME e2e_sweep_mpi COMMAND bash ${COHORT_TEST_DIR}/e2e/sweep_mpi.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_bad_input COMMAND bash ${COHORT_TEST_DIR}/e2e/bad_input.sh $<TARGET_FILE:cohort>)
set_tests_properties(e2e_sweep_mpi e2e_bad_input PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE)
add_test(NAME e2e_resilience COMMAND bash ${COHORT_TEST_DIR}/e2e/resilience.sh $<TARGET_FILE:cohort>)
# Every interruption in it waits for an event or a failpoint, not for time, so it may share the machine.
set_tests_properties(e2e_resilience PROPERTIES TIMEOUT 1800)
add_test(NAME e2e_search_mpi COMMAND bash ${COHORT_TEST_DIR}/e2e/search_mpi.sh $<TARGET_FILE:cohort> ${PROJECT_SOURCE_DIR}/examples)
set_tests_properties(e2e_search_mpi PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE)
add_test(NAME e2e_openblas_core COMMAND bash ${COHORT_TEST_DIR}/e2e/openblas_core.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_bench_output COMMAND bash ${COHORT_TEST_DIR}/e2e/bench_output.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_reliability COMMAND bash ${COHORT_TEST_DIR}/e2e/reliability.sh $<TARGET_FILE:cohort>)
set_tests_properties(e2e_reliability PROPERTIES TIMEOUT 1800 RUN_SERIAL TRUE)
add_test(NAME e2e_report_output_guard COMMAND bash ${COHORT_TEST_DIR}/e2e/report_output_guard.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_output_errors COMMAND bash ${COHORT_TEST_DIR}/e2e/output_errors.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_database_paths COMMAND bash ${COHORT_TEST_DIR}/e2e/database_paths.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_readonly_media COMMAND bash ${COHORT_TEST_DIR}/e2e/readonly_media.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_terminal_output COMMAND bash ${COHORT_TEST_DIR}/e2e/terminal_output.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_time_limit COMMAND bash ${COHORT_TEST_DIR}/e2e/time_limit.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_model_counts COMMAND bash ${COHORT_TEST_DIR}/e2e/model_counts.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_kept_checkpoints COMMAND bash ${COHORT_TEST_DIR}/e2e/kept_checkpoints.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_eval COMMAND bash ${COHORT_TEST_DIR}/e2e/eval.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_export COMMAND bash ${COHORT_TEST_DIR}/e2e/export.sh $<TARGET_FILE:cohort>)
add_test(NAME e2e_data_parallel COMMAND bash ${COHORT_TEST_DIR}/e2e/data_parallel.sh $<TARGET_FILE:cohort>)
set_tests_properties(e2e_data_parallel PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
# Hosts as network namespaces on this machine (tests/e2e/hosts_lib.sh): needs root, iproute2 and ping; it fails,
# saying why, where namespaces cannot be made. Serial: it times nothing, but its jobs start 5 ranks on 2 cores.
add_test(NAME e2e_multihost COMMAND bash ${COHORT_TEST_DIR}/e2e/multihost.sh $<TARGET_FILE:cohort>)
set_tests_properties(e2e_multihost PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
# examples/slurm/ under a real single-node Slurm the test starts (munged, slurmctld, slurmd on private ports and
# directories): needs root, slurm-wlm and munge; it fails with the daemons' logs if they cannot start.
add_test(NAME e2e_slurm COMMAND bash ${COHORT_TEST_DIR}/e2e/slurm.sh $<TARGET_FILE:cohort> ${PROJECT_SOURCE_DIR}/examples/slurm)
set_tests_properties(e2e_slurm PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
