/* The torchvision state_dict names of Cohort's models (export_names.c, generated from torchvision by
 * tests/golden/export_state_dict_names.py), for `cohort export`. */
#ifndef COHORT_EXPORT_NAMES_H
#define COHORT_EXPORT_NAMES_H

typedef struct {
    const char *name; /* e.g. "layer1.0.conv1.weight" */
    int dims;         /* its number of dimensions in PyTorch: 4 conv weight, 2 linear weight, 1 bias or BN */
} ExportTensorName;

typedef struct {
    const char *model;               /* Cohort's model name */
    int aux;                         /* its `aux` setting (GoogLeNet, Inception-v3), -1 when it has none */
    const ExportTensorName *tensors; /* Cohort's parameter tensors in order */
    int tensor_count;
    const char *const *batchnorms;   /* the module of each batch norm, in the order of Cohort's buffers */
    int batchnorm_count;
} ExportModelNames;

extern const ExportModelNames EXPORT_MODEL_NAMES[];
extern const int EXPORT_MODEL_NAME_COUNT;

#endif
