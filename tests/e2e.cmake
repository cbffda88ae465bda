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
