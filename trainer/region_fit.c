#include "region_fit.h"

#include <stdbool.h>
#include <stdint.h>

size_t region_first_fit(const Region *live, int count, size_t size) {
    /* the answer starts at 0 or right after a live region: try each such start, keep the lowest clear one */
    size_t best = SIZE_MAX;
    for (int c = -1; c < count; c++) {
        const size_t start = c < 0 ? 0 : live[c].offset + live[c].size;
        if (start >= best) continue;
        bool clear = true;
        for (int k = 0; k < count && clear; k++)
            clear = start + size <= live[k].offset || live[k].offset + live[k].size <= start;
        if (clear) best = start;
    }
    return best;
}
