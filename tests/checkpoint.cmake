add_executable(test_checkpoint ${COHORT_TEST_DIR}/test_checkpoint.c)
target_link_libraries(test_checkpoint PRIVATE cohort_trainer)
add_test(NAME checkpoint COMMAND test_checkpoint)
