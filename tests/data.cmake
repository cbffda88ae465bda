# Dataset loaders and batch assembly (trainer/data*.c).

# Writers of the official dataset file formats, shared by the data, golden and end-to-end tests.
# It uses only the engine's image.h (header) and cohort_common's err_set.
add_library(cohort_dataset_writer STATIC ${COHORT_TEST_DIR}/dataset_writer.c)
target_include_directories(cohort_dataset_writer PUBLIC ${COHORT_TEST_DIR} ${PROJECT_SOURCE_DIR}/trainer)
target_link_libraries(cohort_dataset_writer PUBLIC cohort_common ZLIB::ZLIB PkgConfig::LIBARCHIVE PkgConfig::LIBPNG PkgConfig::LIBJPEG)

add_executable(test_data ${COHORT_TEST_DIR}/test_data.c)
target_link_libraries(test_data PRIVATE cohort_dataset_writer cohort_trainer m)
# Also loads the real Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist,
# installed in CI): the test fails, rather than skips, when it is absent.
add_test(NAME data COMMAND test_data)

# CIFAR tarballs (built here with libarchive in the official layout) and image folders of PNG/JPEG files.
add_executable(test_data_distributed ${COHORT_TEST_DIR}/test_data_distributed.c)
target_link_libraries(test_data_distributed PRIVATE cohort_dataset_writer cohort_trainer m)
add_test(NAME data_distributed COMMAND test_data_distributed)
