/*
 * anp_protocol_fuzz.c: drives anp_decode with frames that are valid, mutated (bytes flipped, cut,
 * inserted) or random, each copied into a heap block of exactly its size, so that the build's
 * AddressSanitizer stops on any read past the input; UndefinedBehaviorSanitizer watches the arithmetic.
 * Checks, per input: the result is a frame size within the input or an error code; a decoded frame's
 * fields lie inside it and re-encode to the same bytes; the writer's frames decode to what was put.
 * Usage: anp_protocol_fuzz <iterations> <seed>; prints a summary line, exits 1 on a broken invariant.
 */
#include "anp_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rng(void)
{
    /* xorshift64*: reproducible from the seed on the command line. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static unsigned long counts[4];  /* decoded frames, short, too large, malformed */
static unsigned long written[2]; /* random messages the writer accepted, refused */
static int failures;

static void fail(const char *what, unsigned long iteration)
{
    failures++;
    if (failures <= 10) {
        fprintf(stderr, "anp_protocol_fuzz: iteration %lu: %s\n", iteration, what);
    }
}

static const uint8_t kinds[] = {1, 2, 3, 4, 5, 6, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86};

/* Appends a field with a value that fits its tag (random bytes for text tags). */
static void put_random_field(anp_writer *w, anp_message *put, uint8_t (*values)[64], uint8_t tag)
{
    unsigned int i = put->field_count, j;
    uint16_t len;
    switch (tag) {
    case ANP_TAG_VERSION: len = 2; break;
    case ANP_TAG_HANDLER_ID:
    case ANP_TAG_GROUP_HANDLER_ID:
    case ANP_TAG_TIMEOUT_MS: len = 4; break;
    case ANP_TAG_DEFINE_HANDLER: len = (uint16_t)(5 + rng() % 59); break;
    case ANP_TAG_STATUS: len = 1; break;
    case ANP_TAG_HASH: len = 32; break;
    case ANP_TAG_RETRY_AFTER: len = 4; break;
    default: len = (uint16_t)(rng() % 64); break;
    }
    for (j = 0; j < len; j++) {
        if (tag == ANP_TAG_HASH) {
            values[i][j] = (uint8_t)"0123456789abcdef"[rng() % 16];
        } else if (tag == ANP_TAG_STATUS) {
            values[i][j] = (uint8_t)(1 + rng() % 5);
        } else if (tag == ANP_TAG_RETRY_AFTER) {
            /* Mostly 0..65535 seconds (in range but for 0 and over 86400 sometimes), sometimes anything. */
            values[i][j] = (uint8_t)(j < 2 && rng() % 8 != 0 ? 0 : rng());
        } else {
            values[i][j] = (uint8_t)rng();
        }
    }
    anp_put_field(w, tag, values[i], len);
    put->fields[i].tag = tag;
    put->fields[i].len = len;
    put->fields[i].value = values[i];
    put->field_count++;
}

/*
 * Writes a message of a random known kind: each allowed tag once with probability 3/4 (so required
 * ones are sometimes missing), and sometimes one more field of any tag (a repeat or a stranger).
 */
static long random_frame(uint8_t *buf, size_t cap, anp_message *put, uint8_t (*values)[64])
{
    anp_writer w;
    uint8_t kind = kinds[rng() % sizeof(kinds)];
    unsigned int tag;
    anp_writer_init(&w, buf, cap, kind, rng());
    put->kind = kind;
    put->field_count = 0;
    for (tag = 1; tag <= ANP_TAG_RETRY_AFTER; tag++) {
        if (tag > ANP_TAG_DEFINE_HANDLER && tag < ANP_TAG_CLIENT_IP) {
            continue; /* the handshake's and bootstrap's fixed values: their own vectors cover them */
        }
        if (anp_tag_allowed(kind, (uint8_t)tag) && rng() % 4 != 0) {
            put_random_field(&w, put, values, (uint8_t)tag);
        }
    }
    if (rng() % 4 == 0) {
        put_random_field(&w, put, values, (uint8_t)(rng() % 2 ? rng() % 256 : 1 + rng() % ANP_TAG_RETRY_AFTER));
    }
    return anp_writer_finish(&w);
}

static long valid_frame(uint8_t *buf, size_t cap)
{
    anp_writer w;
    unsigned int i, envs = rng() % 4;
    switch (rng() % 4) {
    case 0:
        anp_writer_init(&w, buf, cap, ANP_KIND_HELLO, 0);
        anp_put_u16(&w, ANP_TAG_VERSION, ANP_PROTOCOL_VERSION);
        anp_put_field(&w, ANP_TAG_NONCE, "0123456789abcdef", ANP_NONCE_LEN);
        break;
    case 1:
        anp_writer_init(&w, buf, cap, ANP_KIND_CHECK_PASSWORD, rng());
        if (rng() % 2) {
            anp_put_define_handler(&w, 1, "type=django\ndatabase=sqlite:///x");
        }
        anp_put_u32(&w, ANP_TAG_HANDLER_ID, 1);
        anp_put_str(&w, ANP_TAG_USER, "alice");
        anp_put_str(&w, ANP_TAG_PASSWORD, "s3cret");
        for (i = 0; i < envs; i++) {
            anp_put_str(&w, ANP_TAG_ENV, "REQUEST_URI=/a");
        }
        anp_put_u32(&w, ANP_TAG_TIMEOUT_MS, rng());
        if (rng() % 2) {
            anp_put_str(&w, ANP_TAG_CLIENT_IP, "2001:db8::7");
            anp_put_str(&w, ANP_TAG_USER_AGENT, "curl/8.5.0");
            anp_put_str(&w, ANP_TAG_PATH_INFO, "/secret/");
        }
        break;
    case 2:
        anp_writer_init(&w, buf, cap, ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, rng());
        anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_THROTTLED);
        anp_put_u32(&w, ANP_TAG_RETRY_AFTER, ANP_MIN_RETRY_AFTER + rng() % ANP_MAX_RETRY_AFTER);
        break;
    default:
        anp_writer_init(&w, buf, cap, ANP_KIND_GET_REALM_HASH | ANP_ANSWER_BIT, rng());
        anp_put_u8(&w, ANP_TAG_STATUS, (uint8_t)(1 + rng() % 4));
        anp_put_str(&w, ANP_TAG_HASH, "939e7578ed9e3c518a452acee763bce9");
        break;
    }
    return anp_writer_finish(&w);
}

/* Re-encodes a decoded message; it must give back the decoded bytes. */
static int reencodes(const anp_message *msg, const uint8_t *frame, long size)
{
    static uint8_t out[ANP_MAX_FRAME_LEN + 4];
    anp_writer w;
    unsigned int i;
    long n;
    anp_writer_init(&w, out, sizeof(out), msg->kind, msg->request_id);
    for (i = 0; i < msg->field_count; i++) {
        anp_put_field(&w, msg->fields[i].tag, msg->fields[i].value, msg->fields[i].len);
    }
    n = anp_writer_finish(&w);
    return n == size && memcmp(out, frame, (size_t)size) == 0;
}

static void check_decode(const uint8_t *input, size_t len, unsigned long iteration)
{
    static anp_message msg;
    uint8_t *exact = malloc(len > 0 ? len : 1);
    long rv;
    unsigned int i;
    if (exact == NULL) {
        fail("out of memory", iteration);
        return;
    }
    if (len > 0) {
        memcpy(exact, input, len);
    }
    rv = anp_decode(exact, len, &msg);
    if (rv > 0) {
        counts[0]++;
        if ((size_t)rv > len || rv < 4 + ANP_HEADER_LEN) {
            fail("frame size outside the input", iteration);
        }
        if (msg.field_count > ANP_MAX_FIELDS) {
            fail("too many fields decoded", iteration);
        }
        for (i = 0; i < msg.field_count; i++) {
            const uint8_t *v = msg.fields[i].value;
            if (v < exact + 4 + ANP_HEADER_LEN || v + msg.fields[i].len > exact + rv
                || msg.fields[i].len > ANP_MAX_FIELD_LEN) {
                fail("field outside the frame", iteration);
            }
        }
        if (!reencodes(&msg, exact, rv)) {
            fail("decoded frame does not re-encode to the same bytes", iteration);
        }
    } else if (rv == ANP_E_SHORT) {
        counts[1]++;
    } else if (rv == ANP_E_TOO_LARGE) {
        counts[2]++;
    } else if (rv == ANP_E_MALFORMED) {
        counts[3]++;
    } else {
        fail("unexpected result", iteration);
    }
    anp_wipe(exact, len);
    free(exact);
}

int main(int argc, char **argv)
{
    static uint8_t frame[ANP_MAX_FRAME_LEN + 16];
    static uint8_t values[16][64];
    static anp_message put, got;
    unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    unsigned long it;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;

    for (it = 0; it < iterations; it++) {
        long n;
        size_t len;
        unsigned int edits, e;
        unsigned int mode = rng() % 4;
        if (mode == 0) {
            /* Writer round trip of a random message; anything it accepts must decode to what was put. */
            n = random_frame(frame, sizeof(frame), &put, values);
            written[n > 0 ? 0 : 1]++;
            if (n > 0) {
                unsigned int i;
                if (anp_decode(frame, (size_t)n, &got) != n || got.field_count != put.field_count
                    || got.kind != put.kind) {
                    fail("writer output does not decode", it);
                    continue;
                }
                for (i = 0; i < got.field_count; i++) {
                    if (got.fields[i].tag != put.fields[i].tag || got.fields[i].len != put.fields[i].len
                        || memcmp(got.fields[i].value, put.fields[i].value, got.fields[i].len) != 0) {
                        fail("writer output decodes to other fields", it);
                    }
                }
                check_decode(frame, (size_t)n, it);
            } else if (n != ANP_E_MALFORMED) {
                fail("writer refused a small message for a reason other than the rules", it);
            }
            continue;
        }
        if (mode == 3) {
            /* Random bytes behind a plausible length prefix. */
            len = 4 + rng() % 80;
            for (e = 0; e < len; e++) {
                frame[e] = (uint8_t)rng();
            }
            frame[0] = 0;
            frame[1] = 0;
            frame[2] = 0;
            frame[3] = (uint8_t)(len - 4 + (rng() % 5) - 2);
            check_decode(frame, len, it);
            continue;
        }
        n = valid_frame(frame, sizeof(frame));
        if (n <= 0) {
            fail("a valid frame was refused by the writer", it);
            continue;
        }
        len = (size_t)n;
        edits = mode == 1 ? 0 : 1 + rng() % 3;
        for (e = 0; e < edits && len > 0; e++) {
            size_t at = rng() % len;
            switch (rng() % 3) {
            case 0: frame[at] = (uint8_t)rng(); break;
            case 1: len = at; break;
            default:
                memmove(frame + at + 1, frame + at, len - at);
                frame[at] = (uint8_t)rng();
                len++;
                break;
            }
        }
        check_decode(frame, len, it);
    }
    printf("anp_protocol_fuzz: %lu iterations, seed %lu: writer accepted %lu refused %lu; decoder: %lu frames, "
           "%lu short, %lu too large, %lu malformed; %d failures\n",
           iterations, seed, written[0], written[1], counts[0], counts[1], counts[2], counts[3], failures);
    return failures == 0 ? 0 : 1;
}
