# Vision Transformer and MLP-Mixer: gradient checks of the token ops in double, the
# models (parameter counts, whole-model gradient checks, AdamW), and golden tests against PyTorch
# (fixtures in tests/golden/fixtures/vit*.bin, mixer*.bin, regenerated with
# `/usr/bin/python3 tests/golden/export_vit_fixtures.py`; the tests never need PyTorch).
add_executable(test_ops_vit ${COHORT_TEST_DIR}/test_ops_vit.c)
target_link_libraries(test_ops_vit PRIVATE cohort_test_gradcheck_f64) # from ops.cmake: gradcheck.c + the double engine
add_test(NAME test_ops_vit COMMAND test_ops_vit)

add_executable(test_models_vit ${COHORT_TEST_DIR}/test_models_vit.c)
target_link_libraries(test_models_vit PRIVATE cohort_trainer)
add_test(NAME models_vit COMMAND test_models_vit)
add_executable(test_models_vit_f64 ${COHORT_TEST_DIR}/test_models_vit.c)
target_link_libraries(test_models_vit_f64 PRIVATE cohort_trainer_f64)
add_test(NAME models_vit_gradcheck COMMAND test_models_vit_f64)

# `cohort models` lists the default ViT with PyTorch's parameter count.
add_test(NAME models_vit_cli_count COMMAND cohort models --input 3x32x32 --classes 100)
set_tests_properties(models_vit_cli_count PROPERTIES PASS_REGULAR_EXPRESSION "\nvit +1,823,908 ")
add_test(NAME models_vit_cli_count_10 COMMAND cohort models --input 3x32x32 --classes 10)
set_tests_properties(models_vit_cli_count_10 PROPERTIES PASS_REGULAR_EXPRESSION "\nvit +1,806,538 ")

# Golden tests against PyTorch (float at 1e-4 relative, double at 1e-6).
add_executable(test_golden_vit ${COHORT_TEST_DIR}/test_golden_vit.c)
target_link_libraries(test_golden_vit PRIVATE cohort_trainer m)
add_test(NAME golden_vit COMMAND test_golden_vit ${COHORT_TEST_DIR}/golden/fixtures)
add_executable(test_golden_vit_f64 ${COHORT_TEST_DIR}/test_golden_vit.c)
target_link_libraries(test_golden_vit_f64 PRIVATE cohort_trainer_f64 m)
add_test(NAME golden_vit_f64 COMMAND test_golden_vit_f64 ${COHORT_TEST_DIR}/golden/fixtures)
