# The engine as a whole: float build (learning, optimiser) and double build (model-level gradient checks).
add_executable(test_train ${COHORT_TEST_DIR}/test_train.c)
target_link_libraries(test_train PRIVATE cohort_trainer)
add_test(NAME train COMMAND test_train)
add_executable(test_train_f64 ${COHORT_TEST_DIR}/test_train.c)
target_link_libraries(test_train_f64 PRIVATE cohort_trainer_f64)
add_test(NAME train_model_gradcheck COMMAND test_train_f64)
