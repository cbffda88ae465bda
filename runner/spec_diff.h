/* What changed between the sweep specification recorded in the database and the sweep file now. */
#ifndef COHORT_SPEC_DIFF_H
#define COHORT_SPEC_DIFF_H

#include <stddef.h>

/* Writes lines like "  parameters.lr: {"values":[0.1]} -> {"values":[0.1,0.01]} (values added)" for every
 * top-level key and every parameter that was added, removed or changed. Returns the number of differences;
 * *breaking counts those that are not mere additions of values to a grid list (which keep every earlier
 * trial valid). */
int spec_diff(const char *old_json, const char *new_json, char *out, size_t size, int *breaking);

#endif
