# Tests of the engine's ops (trainer/ops/): gradient checks in double, and float against direct references.
add_library(cohort_test_gradcheck_f64 STATIC ${COHORT_TEST_DIR}/gradcheck.c)
target_link_libraries(cohort_test_gradcheck_f64 PUBLIC cohort_trainer_f64)
add_library(cohort_test_gradcheck_f32 STATIC ${COHORT_TEST_DIR}/gradcheck.c)
target_link_libraries(cohort_test_gradcheck_f32 PUBLIC cohort_trainer)

add_executable(test_ops_gradcheck ${COHORT_TEST_DIR}/test_ops_gradcheck.c)
target_link_libraries(test_ops_gradcheck PRIVATE cohort_test_gradcheck_f64)
add_test(NAME test_ops_gradcheck COMMAND test_ops_gradcheck)

add_executable(test_ops_reference ${COHORT_TEST_DIR}/test_ops_reference.c)
target_link_libraries(test_ops_reference PRIVATE cohort_test_gradcheck_f32)
add_test(NAME test_ops_reference COMMAND test_ops_reference)

# The op tests can be built on their own: cmake --build <dir> --target test_ops
add_custom_target(test_ops DEPENDS test_ops_gradcheck test_ops_reference)

# Every registered op from its descriptor's gradient-check cases (double build): see the file's header.
add_executable(test_op_registry ${COHORT_TEST_DIR}/test_op_registry.c ${COHORT_TEST_DIR}/graph_check.c)
target_link_libraries(test_op_registry PRIVATE cohort_test_gradcheck_f64 m)
add_test(NAME op_registry_gradcheck COMMAND test_op_registry)

# gemm() (the engine's AVX-512 GEMM where the CPU has it) against a double-precision sum.
add_executable(test_gemm ${COHORT_TEST_DIR}/test_gemm.c)
target_link_libraries(test_gemm PRIVATE cohort_trainer m)
add_test(NAME gemm_reference COMMAND test_gemm)
