# Sweep files: parsing, typing, grid expansion, trial keys, and the exact error for each bad file.
add_executable(test_sweeps ${COHORT_TEST_DIR}/test_sweeps.c)
target_link_libraries(test_sweeps PRIVATE cohort_sweeps)
add_test(NAME sweeps COMMAND test_sweeps ${COHORT_TEST_DIR}/data/sweeps)
