/*
 * shared_judge.c: the rule that says whether a kept shared grant may answer, see shared_judge.h.
 */
#include "anp_generations.h"
#include "generations_file.h"
#include "shared_judge.h"

int anp_shared_kept_current(const anp_kept_grant *kept, uint64_t now, uint64_t max_age_ns)
{
    const anp_generations *table = anp_generations_file_table();
    uint32_t i;

    if (!table || kept->stamp_count == 0 || now < kept->written || now - kept->written > max_age_ns
        || (kept->expires != 0 && now >= kept->expires)) {
        return 0;
    }
    for (i = 0; i < kept->stamp_count; i++) {
        if (!anp_generations_current(table, &kept->stamps[i], now)) {
            return 0;
        }
    }
    return 1;
}
