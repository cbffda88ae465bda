# Search (grid, random, TPE), early stopping (ASHA, median) and the analytic objectives.
add_executable(test_search ${COHORT_TEST_DIR}/test_search.c)
target_link_libraries(test_search PRIVATE cohort_sweeps m)
add_test(NAME search COMMAND test_search ${CMAKE_SOURCE_DIR}/examples)
