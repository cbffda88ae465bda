# The ResNet and VGG families and LeNet with batch norm: parameter counts (also as `cohort models` prints them),
# model names, evaluation mode, and (double build) finite-difference gradients of resnet8 option A/B, a small
# vgg11 and LeNet with batch norm.
add_executable(test_models ${COHORT_TEST_DIR}/test_models.c)
target_link_libraries(test_models PRIVATE cohort_trainer m)
add_test(NAME models COMMAND test_models $<TARGET_FILE:cohort>)
add_executable(test_models_f64 ${COHORT_TEST_DIR}/test_models.c)
target_link_libraries(test_models_f64 PRIVATE cohort_trainer_f64 m)
add_test(NAME models_gradcheck COMMAND test_models_f64)
add_dependencies(test_models cohort) # the CLI check runs the binary

# Models with branches built as graphs (concatenated Inception branches, a dense block): gradient check of the
# whole graph in double, and learning in float.
add_executable(test_graph_models ${COHORT_TEST_DIR}/test_graph_models.c ${COHORT_TEST_DIR}/graph_check.c)
target_link_libraries(test_graph_models PRIVATE cohort_test_gradcheck_f32 m)
add_test(NAME graph_models COMMAND test_graph_models)
add_executable(test_graph_models_f64 ${COHORT_TEST_DIR}/test_graph_models.c ${COHORT_TEST_DIR}/graph_check.c)
target_link_libraries(test_graph_models_f64 PRIVATE cohort_test_gradcheck_f64 m)
add_test(NAME graph_models_gradcheck COMMAND test_graph_models_f64)

# `cohort models --plan` names the fused steps and totals the parameters as `cohort models` counts them.
add_test(NAME models_plan_resnet COMMAND cohort models --plan resnet20 --input 3x32x32 --classes 100)
set_tests_properties(models_plan_resnet PROPERTIES PASS_REGULAR_EXPRESSION
  "\n1 +batchnorm\\+relu +16x32x32 +32 .*\n +\\(and the relu after it\\)\n.*add\\+relu .*\n53 steps for 72 layers; 278324 parameters")
add_test(NAME models_plan_vit COMMAND cohort models --plan vit --input 3x32x32 --classes 100)
set_tests_properties(models_plan_vit PROPERTIES PASS_REGULAR_EXPRESSION
  "linear\\+add +65x192 tokens +37056 .*linear \\(first-token queries\\) +65x576 tokens .*1823908 parameters")
add_test(NAME models_plan_unknown COMMAND sh -c "$<TARGET_FILE:cohort> models --plan nonesuch; test $? -eq 2")
# LeNet with batch norm: the two BatchNorm1d layers run fused with their ReLU like the BatchNorm2d ones.
add_test(NAME models_plan_lenet_bn COMMAND cohort models --plan lenet --bn true --input 1x32x32 --classes 10)
set_tests_properties(models_plan_lenet_bn PROPERTIES PASS_REGULAR_EXPRESSION
  "4 +batchnorm\\+relu +16x10x10 +32 .*\n8 +batchnorm\\+relu +120 +240 .*\n10 +batchnorm\\+relu +84 +168 .*62158 parameters")

# Every architecture of the model zoo learns the synthetic set in a short run (small widths or inputs), the
# ones with auxiliary heads with them. Label "learning": the ASan preset leaves these out (about ten minutes of
# CPU there, 40 s here); the same models' forward, backward and optimiser step run under ASan in golden_zoo.
add_executable(test_model_zoo_learning ${COHORT_TEST_DIR}/test_model_zoo_learning.c)
target_link_libraries(test_model_zoo_learning PRIVATE cohort_trainer m)
foreach(model alexnet nin vgg11 vgg11_bn resnet18 resnet50 googlenet inception_v3 squeezenet1_0 squeezenet1_1
        densenet121 densenet_bc mobilenet_v1 mobilenet_v2 mobilenet_v3_small mobilenet_v3_large shufflenet_v2_x0_5
        resnext50_32x4d resnext29_2x16d repvgg_a0 xception)
  add_test(NAME model_zoo_learning_${model} COMMAND test_model_zoo_learning ${model})
  set_tests_properties(model_zoo_learning_${model} PROPERTIES LABELS learning)
endforeach()

# The forward-only evaluation form of every registered model (batch norms folded into their convolutions,
# activation regions reused): logits equal to the trained model's evaluation forward, before and after a refresh;
# bit-identical on 1 and 2 threads; a smaller arena.
add_executable(test_eval_model ${COHORT_TEST_DIR}/test_eval_model.c)
target_link_libraries(test_eval_model PRIVATE cohort_trainer m)
add_test(NAME eval_model COMMAND test_eval_model)
