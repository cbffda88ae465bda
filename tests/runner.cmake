# runner: pieces of the `cohort` command that are pure functions (the MPI runs are in e2e.cmake).
add_executable(test_openblas_env ${COHORT_TEST_DIR}/test_openblas_env.c ${PROJECT_SOURCE_DIR}/runner/openblas_env.c)
target_link_libraries(test_openblas_env PRIVATE PkgConfig::OPENBLAS_OPENMP)
target_include_directories(test_openblas_env PRIVATE ${PROJECT_SOURCE_DIR}/runner)
add_test(NAME openblas_env COMMAND test_openblas_env)
