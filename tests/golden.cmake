# Golden tests against PyTorch: fixtures in tests/golden/fixtures/, regenerated (only when the models or
# the format change) with `/usr/bin/python3 tests/golden/export_fixtures.py`; neither the build nor the
# tests need PyTorch. Float build at 1e-4 relative, double build at 1e-6.
add_executable(test_golden ${COHORT_TEST_DIR}/test_golden.c)
target_link_libraries(test_golden PRIVATE cohort_trainer m)
add_test(NAME golden COMMAND test_golden ${COHORT_TEST_DIR}/golden/fixtures)
add_executable(test_golden_f64 ${COHORT_TEST_DIR}/test_golden.c)
target_link_libraries(test_golden_f64 PRIVATE cohort_trainer_f64 m)
add_test(NAME golden_f64 COMMAND test_golden_f64 ${COHORT_TEST_DIR}/golden/fixtures)
# The model zoo (torchvision 0.14's ResNet, VGG, GoogLeNet, Inception-v3, SqueezeNet, DenseNet, AlexNet; CIFAR
# DenseNet-BC and NIN): fixtures tests/golden/fixtures/zoo_*.bin, regenerated with
# `/usr/bin/python3 tests/golden/export_zoo_fixtures.py`; one training step each, compared through per-tensor
# summaries (see tests/test_golden_zoo.c).
add_executable(test_golden_zoo ${COHORT_TEST_DIR}/test_golden_zoo.c)
target_link_libraries(test_golden_zoo PRIVATE cohort_trainer m)
add_test(NAME golden_zoo COMMAND test_golden_zoo ${COHORT_TEST_DIR}/golden/fixtures)
add_executable(test_golden_zoo_f64 ${COHORT_TEST_DIR}/test_golden_zoo.c)
target_link_libraries(test_golden_zoo_f64 PRIVATE cohort_trainer_f64 m)
add_test(NAME golden_zoo_f64 COMMAND test_golden_zoo_f64 ${COHORT_TEST_DIR}/golden/fixtures)
