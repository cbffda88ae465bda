# common: the string map, FNV-1a and the metric table (cohort_common, which links neither the engine nor
# SQLite).
add_executable(test_common ${COHORT_TEST_DIR}/test_common.c)
target_link_libraries(test_common PRIVATE cohort_common m)
add_test(NAME common COMMAND test_common)
