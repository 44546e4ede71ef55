/*
 * anp_decode_fuzz_target.c: a libFuzzer target for the C decoder (native/anp_protocol.c), built with
 * clang -fsanitize=fuzzer,address,undefined by `npm run fuzz` (scripts/fuzz.sh).
 *
 * libFuzzer hands over exactly `size` bytes, so AddressSanitizer stops on any read past the input.
 * Per input: anp_frame_size and anp_decode agree; a decoded frame's fields lie inside it; the value
 * readers stay inside their field; and the writer re-encodes the decoded message to the same bytes.
 * A broken invariant aborts, which libFuzzer reports as a crash and saves the input.
 */
#include "anp_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                                  \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "anp_decode_fuzz_target: broken invariant: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static int is_error(long rv)
{
    return rv == ANP_E_SHORT || rv == ANP_E_TOO_LARGE || rv == ANP_E_MALFORMED;
}

/* Reads each field with the helper for its width; they must refuse a wrong length, never over-read. */
static void read_values(const anp_message *msg)
{
    unsigned int i;
    for (i = 0; i < msg->field_count; i++) {
        const anp_field *f = &msg->fields[i];
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        const uint8_t *spec;
        size_t spec_len;
        REQUIRE((anp_field_u8(f, &u8) == ANP_OK) == (f->len == 1));
        REQUIRE((anp_field_u16(f, &u16) == ANP_OK) == (f->len == 2));
        REQUIRE((anp_field_u32(f, &u32) == ANP_OK) == (f->len == 4));
        if (anp_field_define_handler(f, &u32, &spec, &spec_len) == ANP_OK) {
            REQUIRE(spec >= f->value && spec + spec_len <= f->value + f->len);
        }
        REQUIRE(anp_find(msg, f->tag) != NULL);
    }
}

/* The writer, fed the decoded fields, must give back the very bytes that were decoded. */
static void reencodes(const anp_message *msg, const uint8_t *frame, long size)
{
    static uint8_t out[ANP_MAX_FRAME_LEN + 4];
    anp_writer w;
    unsigned int i;
    anp_writer_init(&w, out, sizeof(out), msg->kind, msg->request_id);
    for (i = 0; i < msg->field_count; i++) {
        anp_put_field(&w, msg->fields[i].tag, msg->fields[i].value, msg->fields[i].len);
    }
    REQUIRE(anp_writer_finish(&w) == size);
    REQUIRE(memcmp(out, frame, (size_t)size) == 0);
}

static void check_frame(const uint8_t *data, long rv, const anp_message *msg)
{
    unsigned int i;
    REQUIRE(rv >= 4 + ANP_HEADER_LEN && rv <= ANP_MAX_FRAME_LEN + 4);
    REQUIRE(msg->field_count <= ANP_MAX_FIELDS);
    for (i = 0; i < msg->field_count; i++) {
        const anp_field *f = &msg->fields[i];
        REQUIRE(f->len <= ANP_MAX_FIELD_LEN);
        REQUIRE(f->value >= data + 4 + ANP_HEADER_LEN && f->value + f->len <= data + rv);
        REQUIRE(anp_tag_allowed(msg->kind, f->tag));
    }
    read_values(msg);
    reencodes(msg, data, rv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static anp_message msg;
    long frame = anp_frame_size(data, size);
    long rv = anp_decode(data, size, &msg);

    REQUIRE(anp_decode(data, size, NULL) == rv);
    if (size < 4) {
        REQUIRE(frame == ANP_E_SHORT && rv == ANP_E_SHORT);
    }
    if (frame < 0) {
        /* A bad length prefix is bad for the decoder too, with the same code. */
        REQUIRE(is_error(frame) && rv == frame);
        return 0;
    }
    if ((size_t)frame > size) {
        REQUIRE(rv == ANP_E_SHORT);
        return 0;
    }
    if (rv > 0) {
        REQUIRE(rv == frame);
        check_frame(data, rv, &msg);
        /* The frame alone decodes as it did with whatever followed it. */
        REQUIRE(anp_decode(data, (size_t)rv, NULL) == rv);
    } else {
        REQUIRE(is_error(rv) && rv != ANP_E_SHORT && msg.field_count == 0);
    }
    return 0;
}
