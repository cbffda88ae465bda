# reports: every format from known databases, `cohort query` and the views, and the HTML in a real browser.
add_library(report_fixture STATIC ${COHORT_TEST_DIR}/report_fixture.c)
target_include_directories(report_fixture PUBLIC ${COHORT_TEST_DIR})
target_link_libraries(report_fixture PUBLIC cohort_store m)

add_executable(test_report ${COHORT_TEST_DIR}/test_report.c)
target_link_libraries(test_report PRIVATE cohort_reports cohort_store m)
add_test(NAME report COMMAND test_report)

add_executable(test_report_formats ${COHORT_TEST_DIR}/test_report_formats.c)
target_link_libraries(test_report_formats PRIVATE cohort_reports report_fixture SQLite::SQLite3 PkgConfig::CJSON m)
add_test(NAME report_formats COMMAND test_report_formats)
# The LaTeX fragment compiled in a document; skipped (not passed) when pdflatex is not installed.
add_test(NAME report_latex_compile COMMAND test_report_formats --latex-compile /usr/bin/pdflatex)
set_tests_properties(report_latex_compile PROPERTIES TIMEOUT 120)

add_executable(test_query ${COHORT_TEST_DIR}/test_query.c)
target_link_libraries(test_query PRIVATE report_fixture cohort_store cohort_trainer SQLite::SQLite3 PkgConfig::CJSON m)
add_test(NAME query COMMAND test_query $<TARGET_FILE:cohort>)

# The HTML report rendered by headless Chromium (Debian package chromium; scripts/setup.sh installs it).
# Fails, with a message saying so, when the browser is missing.
find_package(ZLIB REQUIRED)
add_executable(test_report_browser ${COHORT_TEST_DIR}/test_report_browser.c)
target_link_libraries(test_report_browser PRIVATE cohort_reports report_fixture ZLIB::ZLIB m)
add_test(NAME report_browser COMMAND test_report_browser /usr/bin/chromium)
set_tests_properties(report_browser PROPERTIES TIMEOUT 300)

# The big-report paths (sampled run lines, per-model bands, capped tables, the one-pass epoch scan) on a
# smaller generated database: bench/report_bench at 2,000 runs x 20 epochs, every format.
add_test(NAME report_scale_small COMMAND report_bench --runs 2000 --epochs 20 --max-html 10)
set_tests_properties(report_scale_small PROPERTIES TIMEOUT 300)
