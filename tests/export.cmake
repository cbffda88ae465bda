# export: every model of the generated torchvision name table builds in Cohort with as many parameter tensors
# and batch norms as torchvision's state_dict has and PyTorch's shapes, and safetensors files read back exactly.
add_executable(test_export ${COHORT_TEST_DIR}/test_export.c)
target_link_libraries(test_export PRIVATE cohort_export cohort_trainer PkgConfig::CJSON m)
add_test(NAME export COMMAND test_export)
