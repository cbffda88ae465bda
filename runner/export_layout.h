/* How a Cohort model's tensors become a torchvision state_dict (`cohort export`): the generated names
 * (export_names.h) paired in order with the model's parameter tensors and batch-norm buffers, each with
 * PyTorch's shape. */
#ifndef COHORT_EXPORT_LAYOUT_H
#define COHORT_EXPORT_LAYOUT_H

#include "errors.h"
#include "export_names.h"
#include "model.h"
#include "safetensors.h"

/* The names of model `model` with `aux` (its setting: 1 on, else off), or NULL when it has no torchvision
 * counterpart. */
const ExportModelNames *export_names_for(const char *model, int aux);
/* The state_dict of a built model: *tensors (malloc'd, *count entries: the parameter tensors, then per batch
 * norm running_mean, running_var and num_batches_tracked = steps) pointing into the model's arrays. Non-zero
 * with err when the model's tensors do not pair with the names (another form of the model). */
int export_layout(const Model *model, const ExportModelNames *names, long steps, SafeTensor **tensors, int *count,
                  char err[ERR_LEN]);

#endif
