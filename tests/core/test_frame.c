/* test_frame.c - content frame v1: every rule of the decoder, the canonical
 * encoder, round trips and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/gate.h"

static const uint8_t ID_A[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                  14, 15, 16 };
static const uint8_t H32[32] = { 0xAA, 0xBB, 0xCC, 0xDD };

/* A frame under construction in a test: raw bytes, no validation. */
typedef struct tf {
    wr w;
} tf;

static void tf_init(tf *t)
{
    wr_init(&t->w, NULL, 4 * GATE_FRAME_MAX);
    wr_u8(&t->w, GATE_FRAME_MAGIC);
}

static void tf_field(tf *t, uint8_t tag, const void *p, size_t n)
{
    wr_u8(&t->w, tag);
    wr_uvarint(&t->w, n);
    wr_bytes(&t->w, p, n);
}

/* Decode a copy that stays valid (f borrows from it) until the next call. */
static airlock_err tf_decode(tf *t, gate_frame *f)
{
    static uint8_t copy[2 * GATE_FRAME_MAX];
    size_t n = t->w.len;

    assert_int_equal(t->w.err, AIRLOCK_OK);
    assert_true(n <= sizeof copy);
    memcpy(copy, t->w.buf, n);
    wr_clear(&t->w, false);
    return gate_frame_decode(copy, n, f);
}

/* Nested attachment value built the same way. */
static void att_field(wr *w, uint8_t tag, const void *p, size_t n)
{
    wr_u8(w, tag);
    wr_uvarint(w, n);
    wr_bytes(w, p, n);
}

static void tf_attachment(tf *t, const wr *a)
{
    tf_field(t, GATE_TAG_ATTACHMENT, a->buf, a->len);
}

static void att_png(wr *a)
{
    static const uint8_t size12[] = { 12 };

    wr_init(a, NULL, 65536);
    att_field(a, GATE_ATAG_MIME, "image/png", 9);
    att_field(a, GATE_ATAG_NAME, "a.png", 5);
    att_field(a, GATE_ATAG_SIZE, size12, 1);
}

static void test_minimal_frames(void **state)
{
    static const uint8_t empty[] = { 0xA1 };
    static const uint8_t hi[] = { 0xA1, 0x01, 0x02, 'h', 'i' };
    static const uint8_t bad_magic[] = { 0xA2, 0x01, 0x00 };
    gate_frame f;

    (void)state;
    assert_int_equal(gate_frame_decode(empty, 1, &f), AIRLOCK_OK);
    assert_null(f.body);
    assert_int_equal(f.attachment_count, 0);
    assert_int_equal(f.unknown_fields, 0);
    assert_int_equal(gate_frame_decode(hi, sizeof hi, &f), AIRLOCK_OK);
    assert_int_equal(f.body_len, 2);
    assert_memory_equal(f.body, "hi", 2);
    assert_int_equal(gate_frame_decode(empty, 0, &f), AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(gate_frame_decode(bad_magic, 3, &f),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(gate_frame_decode(NULL, 1, &f), AIRLOCK_ERR_ARG);
    assert_int_equal(gate_frame_decode(hi, sizeof hi, NULL), AIRLOCK_ERR_ARG);
}

static void test_lengths(void **state)
{
    /* non-minimal varint, 5-byte varint, length beyond the input, missing
     * length, and truncated varint */
    static const uint8_t nonmin[] = { 0xA1, 0x01, 0x80, 0x00 };
    static const uint8_t nonmin2[] = { 0xA1, 0x01, 0x82, 0x00, 'a', 'b' };
    static const uint8_t five[] = { 0xA1, 0x01, 0x81, 0x80, 0x80, 0x80, 0x00 };
    static const uint8_t beyond[] = { 0xA1, 0x01, 0x03, 'h', 'i' };
    static const uint8_t nolen[] = { 0xA1, 0x01 };
    static const uint8_t trunc[] = { 0xA1, 0x01, 0x80 };
    static const uint8_t huge[] = { 0xA1, 0x01, 0xFF, 0xFF, 0xFF, 0x7F };
    gate_frame f;

    (void)state;
    assert_int_not_equal(gate_frame_decode(nonmin, sizeof nonmin, &f),
                         AIRLOCK_OK);
    assert_int_not_equal(gate_frame_decode(nonmin2, sizeof nonmin2, &f),
                         AIRLOCK_OK);
    assert_int_not_equal(gate_frame_decode(five, sizeof five, &f),
                         AIRLOCK_OK);
    assert_int_not_equal(gate_frame_decode(beyond, sizeof beyond, &f),
                         AIRLOCK_OK);
    assert_int_equal(gate_frame_decode(nolen, sizeof nolen, &f),
                     AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(gate_frame_decode(trunc, sizeof trunc, &f),
                     AIRLOCK_ERR_TRUNCATED);
    assert_int_not_equal(gate_frame_decode(huge, sizeof huge, &f),
                         AIRLOCK_OK);
}

static void test_body_limit(void **state)
{
    uint8_t *body = calloc(1, GATE_BODY_MAX + 1);
    gate_frame f;
    tf t;

    (void)state;
    assert_non_null(body);
    memset(body, 'x', GATE_BODY_MAX + 1);
    tf_init(&t);
    tf_field(&t, GATE_TAG_BODY, body, GATE_BODY_MAX);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    tf_init(&t);
    tf_field(&t, GATE_TAG_BODY, body, GATE_BODY_MAX + 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_TOO_LARGE);
    free(body);
}

static void test_frame_limit(void **state)
{
    uint8_t *big = calloc(1, GATE_FRAME_MAX + 1);
    gate_frame f;
    size_t fill;
    tf t;

    (void)state;
    assert_non_null(big);
    big[0] = GATE_FRAME_MAGIC;
    assert_int_equal(gate_frame_decode(big, GATE_FRAME_MAX + 1, &f),
                     AIRLOCK_ERR_TOO_LARGE);
    /* exactly the maximum: a body and one unknown field filling it */
    tf_init(&t);
    tf_field(&t, GATE_TAG_BODY, "hi", 2);
    fill = GATE_FRAME_MAX - t.w.len - 1 - 3;
    tf_field(&t, 0x10, big, fill);
    assert_int_equal(t.w.len, GATE_FRAME_MAX);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.unknown_fields, 1);
    free(big);
}

static void test_order(void **state)
{
    gate_frame f;
    wr a;
    tf t;

    (void)state;
    /* reply_to before body: out of order */
    tf_init(&t);
    tf_field(&t, GATE_TAG_REPLY_TO, ID_A, 16);
    tf_field(&t, GATE_TAG_BODY, "x", 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* body twice */
    tf_init(&t);
    tf_field(&t, GATE_TAG_BODY, "x", 1);
    tf_field(&t, GATE_TAG_BODY, "y", 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* unknown tag repeated */
    tf_init(&t);
    tf_field(&t, 0x07, "x", 1);
    tf_field(&t, 0x07, "y", 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* attachments must be consecutive */
    att_png(&a);
    tf_init(&t);
    tf_attachment(&t, &a);
    tf_field(&t, GATE_TAG_REACTION, "\xf0\x9f\x91\x8d" "0123456789abcdef", 20);
    tf_attachment(&t, &a);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* all fields in order, with unknown 0x00 first and 0xFF last */
    tf_init(&t);
    tf_field(&t, 0x00, "", 0);
    tf_field(&t, GATE_TAG_BODY, "x", 1);
    tf_field(&t, GATE_TAG_REPLY_TO, ID_A, 16);
    tf_attachment(&t, &a);
    tf_attachment(&t, &a);
    tf_field(&t, GATE_TAG_REACTION, "\xf0\x9f\x91\x8d" "0123456789abcdef", 20);
    tf_field(&t, GATE_TAG_RECEIPT, "\x01" "0123456789abcdef", 17);
    tf_field(&t, 0x06, "zz", 2);
    tf_field(&t, 0xFF, "zz", 2);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.attachment_count, 2);
    assert_int_equal(f.unknown_fields, 3);
    assert_memory_equal(f.reply_to, ID_A, 16);
    assert_int_equal(f.reaction_emoji_len, 4);
    assert_memory_equal(f.reaction_target, "0123456789abcdef", 16);
    assert_int_equal(f.receipt_kind, 1);
    assert_int_equal(f.receipt_count, 1);
    wr_clear(&a, false);
}

static void test_attachment_count(void **state)
{
    gate_frame f;
    wr a;
    tf t;
    int i;

    (void)state;
    att_png(&a);
    tf_init(&t);
    for (i = 0; i < 8; i++)
        tf_attachment(&t, &a);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.attachment_count, 8);
    assert_int_equal(f.attachments[7].size, 12);
    assert_true(f.attachments[7].has_size);
    assert_memory_equal(f.attachments[7].name, "a.png", 5);
    tf_init(&t);
    for (i = 0; i < 9; i++)
        tf_attachment(&t, &a);
    assert_int_not_equal(tf_decode(&t, &f), AIRLOCK_OK);
    wr_clear(&a, false);
}

/* One attachment whose value is built by `fill`; the decode result. */
static airlock_err one_attachment(void (*fill)(wr *))
{
    gate_frame f;
    wr a;
    tf t;
    airlock_err err;

    wr_init(&a, NULL, 65536);
    fill(&a);
    tf_init(&t);
    tf_attachment(&t, &a);
    err = tf_decode(&t, &f);
    wr_clear(&a, false);
    return err;
}

static void fill_all(wr *a)
{
    static const uint8_t size[] = { 0xAC, 0x02 };     /* 300 */
    uint8_t loc[2048];

    memset(loc, 'l', sizeof loc);
    att_field(a, 1, "text/plain", 10);
    att_field(a, 2, "notes.txt", 9);
    att_field(a, 3, size, 2);
    att_field(a, 4, H32, 32);
    att_field(a, 5, H32, 32);
    att_field(a, 6, loc, sizeof loc);
}
static void fill_mime_only(wr *a) { att_field(a, 1, "image/png", 9); }
static void fill_no_mime(wr *a) { att_field(a, 2, "a.png", 5); }
static void fill_empty(wr *a) { (void)a; }
static void fill_mime_space(wr *a) { att_field(a, 1, "image /png", 10); }
static void fill_mime_ctl(wr *a) { att_field(a, 1, "image/png\n", 10); }
static void fill_mime_empty(wr *a) { att_field(a, 1, "", 0); }
static void fill_mime_65(wr *a)
{
    char m[65];

    memset(m, 'a', sizeof m);
    att_field(a, 1, m, sizeof m);
}
static void fill_mime_64(wr *a)
{
    char m[64];

    memset(m, 'a', sizeof m);
    att_field(a, 1, m, sizeof m);
}
static void fill_name_256(wr *a)
{
    char n[256];

    memset(n, 'n', sizeof n);
    att_field(a, 1, "image/png", 9);
    att_field(a, 2, n, sizeof n);
}
static void fill_name_255(wr *a)
{
    char n[255];

    memset(n, 'n', sizeof n);
    att_field(a, 1, "image/png", 9);
    att_field(a, 2, n, sizeof n);
}
static void fill_size_nonmin(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 3, "\x80\x00", 2);
}
static void fill_size_trailing(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 3, "\x05\x05", 2);
}
static void fill_size_empty(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 3, "", 0);
}
static void fill_size_2p53(wr *a)
{
    /* 2^53 = 0x20000000000000 */
    static const uint8_t v[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                 0x10 };
    att_field(a, 1, "image/png", 9);
    att_field(a, 3, v, sizeof v);
}
static void fill_size_max(wr *a)
{
    static const uint8_t v[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0x0F };
    att_field(a, 1, "image/png", 9);
    att_field(a, 3, v, sizeof v);
}
static void fill_sha_31(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 4, H32, 31);
}
static void fill_key_33(wr *a)
{
    uint8_t k[33] = { 0 };

    att_field(a, 1, "image/png", 9);
    att_field(a, 5, k, 33);
}
static void fill_locator_2049(wr *a)
{
    uint8_t loc[2049];

    memset(loc, 'l', sizeof loc);
    att_field(a, 1, "image/png", 9);
    att_field(a, 6, loc, sizeof loc);
}
static void fill_unknown_nested(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 7, "x", 1);
}
static void fill_nested_order(wr *a)
{
    att_field(a, 2, "a.png", 5);
    att_field(a, 1, "image/png", 9);
}
static void fill_nested_dup(wr *a)
{
    att_field(a, 1, "image/png", 9);
    att_field(a, 1, "image/png", 9);
}
static void fill_nested_beyond(wr *a)
{
    att_field(a, 1, "image/png", 9);
    wr_u8(a, 2);
    wr_u8(a, 9);
    wr_bytes(a, "abc", 3);
}
static void fill_nested_tag0(wr *a)
{
    att_field(a, 0, "", 0);
    att_field(a, 1, "image/png", 9);
}

static void test_attachment_fields(void **state)
{
    (void)state;
    assert_int_equal(one_attachment(fill_all), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_mime_only), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_mime_64), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_name_255), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_size_max), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_no_mime), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_empty), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_mime_space), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_mime_ctl), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_mime_empty), AIRLOCK_ERR_MALFORMED);
    assert_int_not_equal(one_attachment(fill_mime_65), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_name_256), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_size_nonmin), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_size_trailing), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_size_empty), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_size_2p53), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_sha_31), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_key_33), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_locator_2049), AIRLOCK_OK);
    assert_int_equal(one_attachment(fill_unknown_nested),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_nested_order), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(one_attachment(fill_nested_dup), AIRLOCK_ERR_MALFORMED);
    assert_int_not_equal(one_attachment(fill_nested_beyond), AIRLOCK_OK);
    assert_int_not_equal(one_attachment(fill_nested_tag0), AIRLOCK_OK);
}

static void test_reply_reaction_receipt(void **state)
{
    uint8_t buf[1 + 65 * 16];
    gate_frame f;
    tf t;

    (void)state;
    memset(buf, 0x42, sizeof buf);
    tf_init(&t);
    tf_field(&t, GATE_TAG_REPLY_TO, ID_A, 15);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    tf_init(&t);
    tf_field(&t, GATE_TAG_REPLY_TO, buf, 17);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* reaction: 1..32 bytes of emoji then 16 */
    tf_init(&t);
    tf_field(&t, GATE_TAG_REACTION, buf, 16);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    tf_init(&t);
    tf_field(&t, GATE_TAG_REACTION, buf, 17);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.reaction_emoji_len, 1);
    tf_init(&t);
    tf_field(&t, GATE_TAG_REACTION, buf, 48);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.reaction_emoji_len, 32);
    tf_init(&t);
    tf_field(&t, GATE_TAG_REACTION, buf, 49);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    /* receipt: kind 1 or 2, then 1..64 ids */
    buf[0] = 2;
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 1 + 64 * 16);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_OK);
    assert_int_equal(f.receipt_kind, 2);
    assert_int_equal(f.receipt_count, 64);
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 1 + 65 * 16);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 1 + 16 + 1);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    buf[0] = 3;
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 17);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
    buf[0] = 0;
    tf_init(&t);
    tf_field(&t, GATE_TAG_RECEIPT, buf, 17);
    assert_int_equal(tf_decode(&t, &f), AIRLOCK_ERR_MALFORMED);
}

static void test_encode_body(void **state)
{
    static const uint8_t want[] = { 0xA1, 0x01, 0x05, 'h', 'e', 'l', 'l',
                                    'o' };
    uint8_t *out = NULL, *big;
    size_t n = 0;
    gate_frame f;

    (void)state;
    assert_int_equal(gate_frame_encode_body(NULL, "hello", 5, &out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
    assert_int_equal(gate_frame_decode(out, n, &f), AIRLOCK_OK);
    assert_int_equal(f.body_len, 5);
    base_free(NULL, out);
    /* 200 bytes: two-byte length 0xC8 0x01 */
    big = calloc(1, GATE_BODY_MAX + 1);
    assert_non_null(big);
    assert_int_equal(gate_frame_encode_body(NULL, (char *)big, 200, &out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 1 + 1 + 2 + 200);
    assert_int_equal(out[2], 0xC8);
    assert_int_equal(out[3], 0x01);
    base_free(NULL, out);
    assert_int_equal(gate_frame_encode_body(NULL, (char *)big, GATE_BODY_MAX,
                                            &out, &n), AIRLOCK_OK);
    base_free(NULL, out);
    assert_int_equal(gate_frame_encode_body(NULL, (char *)big,
                                            GATE_BODY_MAX + 1, &out, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    assert_null(out);
    free(big);
    /* empty body is a field of length 0 */
    assert_int_equal(gate_frame_encode_body(NULL, NULL, 0, &out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 3);
    base_free(NULL, out);
}

static void test_encode_receipt(void **state)
{
    uint8_t ids[65 * 16];
    uint8_t *out = NULL;
    size_t n = 0;
    gate_frame f;

    (void)state;
    memset(ids, 7, sizeof ids);
    assert_int_equal(gate_frame_encode_receipt(NULL, GATE_RECEIPT_READ, ids, 3,
                                               &out, &n), AIRLOCK_OK);
    assert_int_equal(gate_frame_decode(out, n, &f), AIRLOCK_OK);
    assert_int_equal(f.receipt_kind, GATE_RECEIPT_READ);
    assert_int_equal(f.receipt_count, 3);
    assert_null(f.body);
    base_free(NULL, out);
    assert_int_equal(gate_frame_encode_receipt(NULL, 3, ids, 3, &out, &n),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(gate_frame_encode_receipt(NULL, 1, ids, 0, &out, &n),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(gate_frame_encode_receipt(NULL, 1, ids, 65, &out, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    assert_null(out);
}

/* decode(encode(f)) == f, and the encoding is canonical: re-encoding the
 * decoded view gives the same bytes. */
static void test_round_trip(void **state)
{
    uint8_t loc[100];
    uint8_t ids[32];
    uint8_t *out = NULL, *out2 = NULL;
    size_t n = 0, n2 = 0, i, k;
    gate_frame f, g;

    (void)state;
    memset(loc, 'L', sizeof loc);
    memset(ids, 9, sizeof ids);
    gate_frame_init(&f);
    f.body = (const uint8_t *)"*hi* there";
    f.body_len = 10;
    f.reply_to = ID_A;
    f.attachment_count = 2;
    f.attachments[0].mime = (const uint8_t *)"image/png";
    f.attachments[0].mime_len = 9;
    f.attachments[0].name = (const uint8_t *)"cat.png";
    f.attachments[0].name_len = 7;
    f.attachments[0].has_size = true;
    f.attachments[0].size = GATE_SIZE_MAX;
    f.attachments[0].sha256 = H32;
    f.attachments[0].key = H32;
    f.attachments[0].locator = loc;
    f.attachments[0].locator_len = sizeof loc;
    f.attachments[1].mime = (const uint8_t *)"text/plain";
    f.attachments[1].mime_len = 10;
    f.reaction_emoji = (const uint8_t *)"\xf0\x9f\x91\x8d";
    f.reaction_emoji_len = 4;
    f.reaction_target = ID_A;
    f.receipt_kind = GATE_RECEIPT_DELIVERED;
    f.receipt_ids = ids;
    f.receipt_count = 2;
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_OK);
    assert_int_equal(gate_frame_decode(out, n, &g), AIRLOCK_OK);
    assert_int_equal(g.body_len, f.body_len);
    assert_memory_equal(g.body, f.body, f.body_len);
    assert_memory_equal(g.reply_to, ID_A, 16);
    assert_int_equal(g.attachment_count, 2);
    assert_int_equal(g.attachments[0].size, GATE_SIZE_MAX);
    assert_memory_equal(g.attachments[0].sha256, H32, 32);
    assert_memory_equal(g.attachments[0].key, H32, 32);
    assert_int_equal(g.attachments[0].locator_len, sizeof loc);
    assert_null(g.attachments[1].name);
    assert_false(g.attachments[1].has_size);
    assert_null(g.attachments[1].sha256);
    assert_int_equal(g.reaction_emoji_len, 4);
    assert_int_equal(g.receipt_count, 2);
    assert_int_equal(gate_frame_encode(NULL, &g, &out2, &n2), AIRLOCK_OK);
    assert_int_equal(n, n2);
    assert_memory_equal(out, out2, n);
    base_free(NULL, out);
    base_free(NULL, out2);
    /* A prefix is accepted only when it ends on a field boundary: after
     * the magic, body, reply_to, each attachment and the reaction. */
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_OK);
    k = 0;
    for (i = 1; i < n; i++)
        k += gate_frame_decode(out, i, &g) == AIRLOCK_OK;
    assert_int_equal(k, 6);
    base_free(NULL, out);
}

static void test_encode_errors(void **state)
{
    uint8_t *out = (uint8_t *)1;
    size_t n = 1;
    gate_frame f;
    wr w;

    (void)state;
    gate_frame_init(&f);
    f.attachment_count = 1;                 /* no mime */
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_ERR_ARG);
    assert_null(out);
    f.attachments[0].mime = (const uint8_t *)"bad mime";
    f.attachments[0].mime_len = 8;
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_ERR_ARG);
    f.attachments[0].mime = (const uint8_t *)"image/png";
    f.attachments[0].mime_len = 9;
    f.attachments[0].has_size = true;
    f.attachments[0].size = GATE_SIZE_MAX + 1;
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    f.attachments[0].size = 1;
    f.attachment_count = 9;
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_ERR_ARG);
    gate_frame_init(&f);
    f.reaction_emoji = (const uint8_t *)"x";
    f.reaction_emoji_len = 1;               /* no target */
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n), AIRLOCK_ERR_ARG);
    f.reaction_target = ID_A;
    f.reaction_emoji_len = 33;
    assert_int_equal(gate_frame_encode(NULL, &f, &out, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    /* nothing written to a writer on failure */
    wr_init(&w, NULL, 1000);
    assert_int_equal(gate_frame_write(&w, &f), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(w.len, 0);
    wr_clear(&w, false);
}

static void test_public_encode(void **state)
{
    airlock_frame_attachment a[2];
    uint8_t *out = NULL;
    size_t n = 0;
    gate_frame f;

    (void)state;
    memset(a, 0, sizeof a);
    a[0].mime = "image/jpeg";
    a[0].name = "p.jpg";
    a[0].size = 5;
    a[0].sha256 = H32;
    a[1].mime = "text/plain";
    a[1].locator = "https://files.example/x";
    assert_int_equal(airlock_frame_encode("hi", 2, ID_A, a, 2, &out, &n),
                     AIRLOCK_OK);
    assert_int_equal(gate_frame_decode(out, n, &f), AIRLOCK_OK);
    assert_int_equal(f.attachment_count, 2);
    assert_int_equal(f.attachments[0].size, 5);
    assert_true(f.attachments[1].has_size);
    assert_int_equal(f.attachments[1].locator_len, 23);
    airlock_free(out);
    assert_int_equal(airlock_frame_encode(NULL, 0, NULL, NULL, 0, &out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 1);
    airlock_free(out);
    assert_int_equal(airlock_frame_encode("x", 1, NULL, a, 9, &out, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    a[0].mime = NULL;
    assert_int_equal(airlock_frame_encode("x", 1, NULL, a, 1, &out, &n),
                     AIRLOCK_ERR_ARG);
    assert_null(out);
}

/* ---- allocation failures --------------------------------------------------- */

typedef struct failing {
    long countdown;       /* fail when it reaches 0 */
    long live;
} failing;

static void *f_alloc(size_t n, void *ud)
{
    failing *fa = ud;

    if (fa->countdown-- == 0)
        return NULL;
    fa->live++;
    return malloc(n);
}

static void f_free(void *p, void *ud)
{
    failing *fa = ud;

    if (p != NULL)
        fa->live--;
    free(p);
}

static void test_encode_nomem(void **state)
{
    failing fa;
    airlock_allocator al = { f_alloc, NULL, f_free, &fa };
    uint8_t *out;
    size_t n;
    long k;
    airlock_err err;

    (void)state;
    for (k = 0;; k++) {
        fa.countdown = k;
        fa.live = 0;
        out = NULL;
        err = gate_frame_encode_body(&al, "hello", 5, &out, &n);
        if (err == AIRLOCK_OK) {
            base_free(&al, out);
            assert_int_equal(fa.live, 0);
            break;
        }
        assert_int_equal(err, AIRLOCK_ERR_NOMEM);
        assert_null(out);
        assert_int_equal(fa.live, 0);
    }
    assert_true(k >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_frames),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_frame_limit),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_attachment_count),
        cmocka_unit_test(test_attachment_fields),
        cmocka_unit_test(test_reply_reaction_receipt),
        cmocka_unit_test(test_encode_body),
        cmocka_unit_test(test_encode_receipt),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_public_encode),
        cmocka_unit_test(test_encode_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
