/* First-fit placement of a region among the regions alive at one moment: the activation plans of training
 * (act_plan.c) and of evaluation (eval_model.c) place each slot's region where nothing alive overlaps it. */
#ifndef COHORT_REGION_FIT_H
#define COHORT_REGION_FIT_H

#include <stddef.h>

typedef struct {
    size_t offset, size; /* reals */
} Region;

/* the lowest offset where `size` reals overlap none of the `count` live regions (in any order) */
size_t region_first_fit(const Region *live, int count, size_t size);

#endif
