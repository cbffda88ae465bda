# reports: Markdown and HTML reports from a small known database.
add_executable(test_report ${COHORT_TEST_DIR}/test_report.c)
target_link_libraries(test_report PRIVATE cohort_reports cohort_store m)
add_test(NAME report COMMAND test_report)
