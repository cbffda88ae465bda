/* Trial and spec keys: the FNV-1a hash (fnv.h) of a text, as hex. Keys only need to tell the trials of one
 * project's sweeps apart, and must be the same in every build. */
#include <inttypes.h>
#include <stdio.h>

#include "fnv.h"
#include "sweep_internal.h"

void sweep_hash_hex(const char *text, char out[17]) {
    snprintf(out, 17, "%016" PRIx64, fnv64(text));
}
