/*
 * shared_judge.c: the rule that says whether a kept shared grant may answer, see shared_judge.h.
 */
#include <string.h>

#include "anp_generations.h"
#include "generations_file.h"
#include "grant_payload.h"
#include "shared_judge.h"

int anp_shared_kept_fill(anp_kept_grant *kept, const anp_generation_stamp *stamps, int count, uint64_t expires,
                         const anp_grant *grant)
{
    int i;

    if (count < 1 || count > ANP_VERDICT_MAX_STAMPS) {
        return 0;
    }
    memset(kept, 0, sizeof(*kept));
    kept->payload_len = (uint32_t)anp_grant_payload_encode(grant, kept->payload, ANP_VERDICT_PAYLOAD - 1);
    if (kept->payload_len == 0) {
        return 0; /* too long to keep: such a request asks the worker each time */
    }
    for (i = 0; i < count; i++) {
        kept->stamps[i] = stamps[i];
    }
    kept->stamp_count = (uint32_t)count;
    kept->expires = expires;
    return 1;
}

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
