# `cohort predict` and `cohort features` on a LeNet trained on the real Fashion-MNIST (2 epochs, one thread).
add_executable(test_predict ${COHORT_TEST_DIR}/test_predict.c)
target_link_libraries(test_predict PRIVATE cohort_dataset_writer cohort_trainer PkgConfig::CJSON m)
add_test(NAME predict COMMAND test_predict $<TARGET_FILE:cohort>)
