# The engine as a whole: float build (learning, optimiser) and double build (model-level gradient checks).
add_executable(test_train ${COHORT_TEST_DIR}/test_train.c)
target_link_libraries(test_train PRIVATE cohort_trainer)
add_test(NAME train COMMAND test_train)
add_executable(test_train_f64 ${COHORT_TEST_DIR}/test_train.c)
target_link_libraries(test_train_f64 PRIVATE cohort_trainer_f64)
add_test(NAME train_model_gradcheck COMMAND test_train_f64)

# Results independent of the thread count (ops, products and whole models on 1, 2 and 3 threads): once under
# the environment as it is, and once per OpenBLAS core type this CPU can run, each in its own child process
# with OPENBLAS_CORETYPE set for that child only (see the file's header).
add_executable(test_thread_invariance ${COHORT_TEST_DIR}/test_thread_invariance.c)
target_link_libraries(test_thread_invariance PRIVATE cohort_test_gradcheck_f32)
add_test(NAME thread_invariance COMMAND test_thread_invariance)
# Under ASan + UBSan, products and layers only: the models' memory is checked by thread_invariance there, their
# results under every kernel by the release build (see the file's header).
if(COHORT_SANITIZE)
  add_test(NAME thread_invariance_kernels COMMAND test_thread_invariance --kernels --without-models)
else()
  add_test(NAME thread_invariance_kernels COMMAND test_thread_invariance --kernels)
endif()
# Up to eight kernels, each a child process running every case.
set_tests_properties(thread_invariance_kernels PROPERTIES TIMEOUT 1200)

# Data-parallel trials: the same results on 1, 2, 3 and 4 ranks (real MPI collectives; see the file's header).
add_executable(test_data_parallel ${COHORT_TEST_DIR}/test_data_parallel.c)
target_link_libraries(test_data_parallel PRIVATE cohort_collectives_mpi)
add_test(NAME data_parallel_ranks COMMAND bash ${COHORT_TEST_DIR}/data_parallel_ranks.sh $<TARGET_FILE:test_data_parallel>)
set_tests_properties(data_parallel_ranks PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
