# store: the results database (schema, migrations, writes, reads, read-only opens, the run_summary view).
add_executable(test_store ${COHORT_TEST_DIR}/test_store.c)
target_link_libraries(test_store PRIVATE cohort_store SQLite::SQLite3 m)
add_test(NAME store COMMAND test_store)
