/*
 * test_omemo.c - the OMEMO stanza parsers on real stanzas captured from
 * Profanity 0.13.1 through Prosody 0.12.3 (tests/xmpp/samples/), hostile
 * variants of them, base64 edge cases, and builder round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/xmpp/omemo.h"

/* ---- helpers ---- */

static char *read_sample(const char *rel, size_t *n)
{
    const char *src = getenv("AIRLOCK_SOURCE_DIR");
    char path[4096];
    FILE *f;
    char *buf;
    long len;

    assert_non_null(src);
    assert_true(snprintf(path, sizeof path, "%s/tests/xmpp/samples/%s", src,
                         rel) < (int)sizeof path);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = '\0';
    *n = (size_t)len;
    return buf;
}

/* The .pretty.xml files start with an XML declaration; a stanza on the
 * stream never does. */
static const char *skip_decl(const char *s, size_t *n)
{
    const char *e;

    if (strncmp(s, "<?xml", 5) != 0)
        return s;
    e = strstr(s, "?>");
    assert_non_null(e);
    *n -= (size_t)(e + 2 - s);
    return e + 2;
}

static net_xml *parse_sample(const char *rel)
{
    size_t n;
    char *s = read_sample(rel, &n);
    const char *p = skip_decl(s, &n);
    net_xml *x = NULL;

    assert_int_equal(net_xml_parse(p, n, &x), AIRLOCK_OK);
    free(s);
    return x;
}

static net_xml *parse_str(const char *s)
{
    net_xml *x = NULL;

    assert_int_equal(net_xml_parse(s, strlen(s), &x), AIRLOCK_OK);
    return x;
}

/* Replace the first occurrence of `from` in `s` with `to` (new string). */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t a, fl = strlen(from), tl = strlen(to), sl = strlen(s);
    char *out;

    assert_non_null(at);
    a = (size_t)(at - s);
    out = malloc(sl - fl + tl + 1);
    assert_non_null(out);
    memcpy(out, s, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, at + fl, sl - a - fl + 1);
    return out;
}

static airlock_err parse_msg_str(const char *xml, net_omemo_msg *m)
{
    net_xml *x = NULL;
    airlock_err err;

    if ((err = net_xml_parse(xml, strlen(xml), &x)) != AIRLOCK_OK)
        return err;
    err = net_omemo_msg_parse(net_omemo_find_encrypted(net_xml_root(x)), m);
    net_xml_free(x);
    return err;
}

/* ---- real stanzas ---- */

static void check_message(const char *rel, uint32_t sid, uint32_t rid)
{
    net_xml *x = parse_sample(rel);
    net_omemo_msg m;
    const net_omemo_key *k;

    assert_int_equal(net_omemo_msg_parse(
                         net_omemo_find_encrypted(net_xml_root(x)), &m),
                     AIRLOCK_OK);
    assert_int_equal(m.sid, sid);
    assert_int_equal(m.key_count, 1);
    k = net_omemo_msg_key(&m, rid);
    assert_non_null(k);
    assert_true(k->prekey);
    /* a PreKeySignalMessage: version byte 0x33 */
    assert_int_equal(k->msg[0], 0x33);
    assert_true(k->msg_n > 100 && k->msg_n < 300);
    assert_int_equal(m.iv_n, 12);
    assert_true(m.has_payload);
    assert_int_equal(m.payload_n, 24);
    assert_null(net_omemo_msg_key(&m, rid + 1));
    net_omemo_msg_clear(&m);
    net_xml_free(x);
}

static void test_message_samples(void **state)
{
    (void)state;
    check_message("omemo-message-c2s-in.xml", 504091711u, 1259840807u);
    check_message("omemo-message-c2s-in.pretty.xml", 504091711u, 1259840807u);
    check_message("omemo-message-c2s-out.xml", 504091711u, 1259840807u);
    check_message("omemo-message-c2s-out.pretty.xml", 504091711u,
                  1259840807u);
    check_message("publish-options-open/omemo-message-c2s-in.xml",
                  1969863764u, 1179513125u);
    check_message("publish-options-open/omemo-message-c2s-out.pretty.xml",
                  1969863764u, 1179513125u);
}

static void check_bundle_result(const char *rel, const char *node)
{
    net_xml *x = parse_sample(rel);
    net_omemo_bundle *b = calloc(1, sizeof *b);
    const char *item_id = NULL, *publisher = NULL;
    xmpp_stanza_t *el;
    uint8_t *local = NULL;
    size_t ln = 0, i;
    net_omemo_local l;

    assert_non_null(b);
    el = net_omemo_find_item(net_xml_root(x), node, "bundle", &item_id,
                             &publisher);
    assert_non_null(el);
    assert_string_equal(item_id, "current");
    assert_null(publisher);
    assert_int_equal(net_omemo_bundle_parse(el, b), AIRLOCK_OK);
    assert_int_equal(b->spk_id, 1);
    assert_int_equal(b->spk[0], 0x05);
    assert_int_equal(b->ik[0], 0x05);
    assert_int_equal(b->prekey_count, 100);
    for (i = 0; i < b->prekey_count; i++) {
        assert_int_equal(b->prekey[i][0], 0x05);
        assert_true(b->prekey_id[i] > 0);
    }
    /* the wrong node is not found */
    assert_null(net_omemo_find_item(net_xml_root(x),
                                    NET_OMEMO_NODE_BUNDLES "1", "bundle",
                                    NULL, NULL));
    /* the local bundle v1 record the engine parses */
    assert_int_equal(net_omemo_bundle_to_local(b, 1234, &local, &ln),
                     AIRLOCK_OK);
    assert_int_equal(ln, NET_OMEMO_LOCAL_BUNDLE_LEN);
    assert_int_equal(net_omemo_local_parse(local, ln, &l), AIRLOCK_OK);
    assert_int_equal(l.device_id, 1234);
    assert_memory_equal(l.ik, b->ik, NET_OMEMO_PUB);
    assert_memory_equal(l.spk, b->spk, NET_OMEMO_PUB);
    assert_memory_equal(l.sig, b->sig, NET_OMEMO_SIG);
    free(local);
    free(b);
    net_xml_free(x);
}

static void test_bundle_samples(void **state)
{
    (void)state;
    check_bundle_result("bundle-fetch-result.xml",
                        NET_OMEMO_NODE_BUNDLES "1259840807");
    check_bundle_result("bundle-fetch-result.pretty.xml",
                        NET_OMEMO_NODE_BUNDLES "1259840807");
    check_bundle_result("publish-options-open/bundle-fetch-result.xml",
                        NET_OMEMO_NODE_BUNDLES "1179513125");
}

static void test_bundle_publish_sample(void **state)
{
    net_xml *x = parse_sample("publish-options-open/bundle-publish.xml");
    net_omemo_bundle *b = calloc(1, sizeof *b);
    xmpp_stanza_t *el;

    (void)state;
    assert_non_null(b);
    el = net_xml_child(net_xml_root(x), "pubsub", NET_NS_PUBSUB);
    el = net_xml_child(el, "publish", NET_NS_PUBSUB);
    el = net_xml_child(el, "item", NULL);
    el = net_xml_child(el, "bundle", NET_OMEMO_NS);
    assert_int_equal(net_omemo_bundle_parse(el, b), AIRLOCK_OK);
    assert_int_equal(b->prekey_count, 100);
    free(b);
    net_xml_free(x);
}

static void check_devicelist(const char *rel, uint32_t want)
{
    net_xml *x = parse_sample(rel);
    uint32_t ids[NET_OMEMO_DEVICES_MAX];
    size_t n = 0;
    xmpp_stanza_t *el;

    el = net_omemo_find_item(net_xml_root(x), NET_OMEMO_NODE_DEVICELIST,
                             "list", NULL, NULL);
    assert_non_null(el);
    assert_int_equal(net_omemo_devicelist_parse(el, ids, &n), AIRLOCK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], want);
    net_xml_free(x);
}

static void test_devicelist_samples(void **state)
{
    net_xml *x;
    const char *pub = NULL;

    (void)state;
    check_devicelist("devicelist-fetch-result.xml", 1259840807u);
    check_devicelist("devicelist-pep-notification.xml", 1259840807u);
    check_devicelist("devicelist-pep-notification.pretty.xml", 1259840807u);
    check_devicelist("publish-options-open/devicelist-fetch-result.xml",
                     1179513125u);
    check_devicelist("publish-options-open/devicelist-pep-notification.xml",
                     1179513125u);
    /* the notification names its publisher */
    x = parse_sample("devicelist-pep-notification.xml");
    assert_non_null(net_omemo_find_item(net_xml_root(x),
                                        NET_OMEMO_NODE_DEVICELIST, "list",
                                        NULL, &pub));
    assert_string_equal(pub, "bob@localhost");
    net_xml_free(x);
    /* an error result has no item */
    x = parse_sample("no-roster/devicelist-fetch-forbidden.xml");
    assert_null(net_omemo_find_item(net_xml_root(x),
                                    NET_OMEMO_NODE_DEVICELIST, "list", NULL,
                                    NULL));
    net_xml_free(x);
}

/* ---- hostile and unusual messages ---- */

static const char MSG[] =
    "<message from='bob@localhost/x' to='alice@localhost' type='chat' "
    "id='m1'><encrypted xmlns='eu.siacs.conversations.axolotl'>"
    "<header sid='77'><key rid='5' prekey='true'>AQID</key>"
    "<key rid='6'>BAUG</key><iv>AAECAwQFBgcICQoL</iv></header>"
    "<payload>aGVsbG8=</payload></encrypted><body>fallback</body>"
    "</message>";

static void expect_msg(const char *from, const char *to, airlock_err want)
{
    char *s = replace(MSG, from, to);
    net_omemo_msg m;

    assert_int_equal(parse_msg_str(s, &m), want);
    net_omemo_msg_clear(&m);
    free(s);
}

static void test_message_variants(void **state)
{
    net_omemo_msg m;
    char *s;

    (void)state;
    assert_int_equal(parse_msg_str(MSG, &m), AIRLOCK_OK);
    assert_int_equal(m.sid, 77);
    assert_int_equal(m.key_count, 2);
    assert_true(m.keys[0].prekey);
    assert_false(m.keys[1].prekey);
    assert_memory_equal(m.keys[1].msg, "\x04\x05\x06", 3);
    assert_int_equal(m.payload_n, 5);
    assert_memory_equal(m.payload, "hello", 5);
    net_omemo_msg_clear(&m);

    /* prekey spellings */
    s = replace(MSG, "prekey='true'", "prekey='1'");
    assert_int_equal(parse_msg_str(s, &m), AIRLOCK_OK);
    assert_true(m.keys[0].prekey);
    net_omemo_msg_clear(&m);
    free(s);
    expect_msg("prekey='true'", "prekey='false'", AIRLOCK_OK);
    expect_msg("prekey='true'", "prekey='0'", AIRLOCK_OK);
    expect_msg("prekey='true'", "prekey='yes'", AIRLOCK_ERR_MALFORMED);
    expect_msg("prekey='true'", "prekey='TRUE'", AIRLOCK_ERR_MALFORMED);
    /* a 16-byte IV (older clients) */
    s = replace(MSG, "AAECAwQFBgcICQoL", "AAECAwQFBgcICQoLDA0ODw==");
    assert_int_equal(parse_msg_str(s, &m), AIRLOCK_OK);
    assert_int_equal(m.iv_n, 16);
    net_omemo_msg_clear(&m);
    free(s);
    /* IVs of other lengths */
    expect_msg("AAECAwQFBgcICQoL", "AAECAwQFBgcICQoLDA==",
               AIRLOCK_ERR_MALFORMED);
    expect_msg("AAECAwQFBgcICQoL", "AAECAwQFBgcICQ==", AIRLOCK_ERR_MALFORMED);
    expect_msg("AAECAwQFBgcICQoL",
               "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
               AIRLOCK_ERR_MALFORMED);
    /* ids */
    expect_msg("sid='77'", "sid='0'", AIRLOCK_ERR_MALFORMED);
    expect_msg("sid='77'", "sid='077'", AIRLOCK_ERR_MALFORMED);
    expect_msg("sid='77'", "sid='-77'", AIRLOCK_ERR_MALFORMED);
    expect_msg("sid='77'", "sid=' 77'", AIRLOCK_ERR_MALFORMED);
    expect_msg("sid='77'", "sid='2147483648'", AIRLOCK_ERR_MALFORMED);
    expect_msg("sid='77'", "sid='2147483647'", AIRLOCK_OK);
    expect_msg("sid='77'", "sid='99999999999999999999'",
               AIRLOCK_ERR_MALFORMED);
    expect_msg(" sid='77'", "", AIRLOCK_ERR_MALFORMED);
    expect_msg("rid='6'", "rid='5'", AIRLOCK_ERR_MALFORMED); /* duplicate */
    expect_msg("rid='6'", "rid='x'", AIRLOCK_ERR_MALFORMED);
    /* structure */
    expect_msg("<iv>AAECAwQFBgcICQoL</iv>", "", AIRLOCK_ERR_MALFORMED);
    expect_msg("<iv>AAECAwQFBgcICQoL</iv>",
               "<iv>AAECAwQFBgcICQoL</iv><iv>AAECAwQFBgcICQoL</iv>",
               AIRLOCK_ERR_MALFORMED);
    expect_msg("<key rid='6'>BAUG</key>", "<key rid='6'></key>",
               AIRLOCK_ERR_MALFORMED);
    expect_msg("<key rid='6'>BAUG</key>", "<key rid='6'>BA<b/>UG</key>",
               AIRLOCK_ERR_MALFORMED);
    expect_msg("</header>", "</header><header sid='1'/>",
               AIRLOCK_ERR_MALFORMED);
    expect_msg("<payload>aGVsbG8=</payload>",
               "<payload>aGVsbG8=</payload><payload>aGVsbG8=</payload>",
               AIRLOCK_ERR_MALFORMED);
    /* a header in another namespace is not the header */
    expect_msg("<header sid='77'>",
               "<header xmlns='urn:x' sid='77'>", AIRLOCK_ERR_MALFORMED);
    /* unknown elements in the header are skipped */
    expect_msg("<iv>", "<foo>bar</foo><iv>", AIRLOCK_OK);
    /* base64 */
    expect_msg("aGVsbG8=", "aGVsbG8", AIRLOCK_OK);            /* unpadded */
    expect_msg("aGVsbG8=", "aGVs\n bG8=", AIRLOCK_OK);        /* wrapped */
    expect_msg("aGVsbG8=", "aGVsbG9=", AIRLOCK_ERR_MALFORMED); /* bits */
    expect_msg("aGVsbG8=", "aGVsbG8==", AIRLOCK_ERR_MALFORMED);
    expect_msg("aGVsbG8=", "aGVsbG8=aGVs", AIRLOCK_ERR_MALFORMED);
    expect_msg("aGVsbG8=", "aGVsb", AIRLOCK_ERR_MALFORMED);
    expect_msg("aGVsbG8=", "aGVs*G8=", AIRLOCK_ERR_MALFORMED);
    expect_msg("aGVsbG8=", "aGVsbG8=&#x0c;", AIRLOCK_ERR_MALFORMED);
    /* an empty payload is an empty message; none is a key transport */
    s = replace(MSG, "<payload>aGVsbG8=</payload>", "<payload/>");
    assert_int_equal(parse_msg_str(s, &m), AIRLOCK_OK);
    assert_true(m.has_payload);
    assert_int_equal(m.payload_n, 0);
    net_omemo_msg_clear(&m);
    free(s);
    s = replace(MSG, "<payload>aGVsbG8=</payload>", "");
    assert_int_equal(parse_msg_str(s, &m), AIRLOCK_OK);
    assert_false(m.has_payload);
    net_omemo_msg_clear(&m);
    free(s);
    /* no <encrypted>: nothing to parse */
    s = replace(MSG, "eu.siacs.conversations.axolotl", "urn:xmpp:omemo:2");
    assert_int_equal(parse_msg_str(s, &m), AIRLOCK_ERR_ARG);
    free(s);
}

/* Keys at and over their limits, and more keys than a message may carry. */
static void test_message_limits(void **state)
{
    size_t cap = 64 * 1024 * 4, i, o;
    char *s = malloc(cap), *big;
    uint8_t raw[NET_OMEMO_KEY_MAX + 1];
    char *b64 = NULL;
    net_omemo_msg m;

    (void)state;
    assert_non_null(s);
    memset(raw, 0x41, sizeof raw);
    /* a key of exactly NET_OMEMO_KEY_MAX bytes, then one more */
    assert_int_equal(net_b64_encode(raw, NET_OMEMO_KEY_MAX, &b64),
                     AIRLOCK_OK);
    big = replace(MSG, "BAUG", b64);
    assert_int_equal(parse_msg_str(big, &m), AIRLOCK_OK);
    assert_int_equal(m.keys[1].msg_n, NET_OMEMO_KEY_MAX);
    net_omemo_msg_clear(&m);
    free(big);
    free(b64);
    assert_int_equal(net_b64_encode(raw, NET_OMEMO_KEY_MAX + 1, &b64),
                     AIRLOCK_OK);
    big = replace(MSG, "BAUG", b64);
    assert_int_equal(parse_msg_str(big, &m), AIRLOCK_ERR_TOO_LARGE);
    free(big);
    free(b64);
    /* 64 keys are fine, 65 are too many */
    for (size_t keys = 64; keys <= 65; keys++) {
        o = (size_t)snprintf(s, cap,
                             "<encrypted xmlns='eu.siacs.conversations."
                             "axolotl'><header sid='1'>");
        for (i = 0; i < keys; i++)
            o += (size_t)snprintf(s + o, cap - o,
                                  "<key rid='%zu'>AQID</key>", i + 1);
        snprintf(s + o, cap - o,
                 "<iv>AAECAwQFBgcICQoL</iv></header></encrypted>");
        {
            net_xml *x = parse_str(s);

            assert_int_equal(net_omemo_msg_parse(net_xml_root(x), &m),
                             keys == 64 ? AIRLOCK_OK :
                                          AIRLOCK_ERR_TOO_LARGE);
            net_omemo_msg_clear(&m);
            net_xml_free(x);
        }
    }
    free(s);
}

/* ---- bundles and lists ---- */

static const char BUNDLE[] =
    "<bundle xmlns='eu.siacs.conversations.axolotl'>"
    "<signedPreKeyPublic signedPreKeyId='7'>"
    "BaGGszXM3hcR7aoQZSfvobbBB8LiDM6XjzabgB3ZGmsk</signedPreKeyPublic>"
    "<signedPreKeySignature>ntiZvU10z9qMAqLUjfC/Ju9fekW+vjq46iGEoXeGCUmM6ij5"
    "HpAunAmYg8TFElPbLN28rDLtmiCQ3eMYAsoZAQ==</signedPreKeySignature>"
    "<identityKey>BVbYDMFfGEQk/ExguzH1N04Bmc69PR3elPPMLafj4foT</identityKey>"
    "<prekeys><preKeyPublic preKeyId='1'>"
    "BQYykD6rSxGeJs7IZ+kcLxFViiFiA5c2A3kMQD5GJ1FY</preKeyPublic></prekeys>"
    "</bundle>";

static airlock_err parse_bundle_str(const char *s, net_omemo_bundle *b)
{
    net_xml *x = NULL;
    airlock_err err;

    if ((err = net_xml_parse(s, strlen(s), &x)) != AIRLOCK_OK)
        return err;
    err = net_omemo_bundle_parse(net_xml_root(x), b);
    net_xml_free(x);
    return err;
}

static void expect_bundle(const char *from, const char *to, airlock_err want)
{
    char *s = replace(BUNDLE, from, to);
    net_omemo_bundle *b = calloc(1, sizeof *b);

    assert_non_null(b);
    assert_int_equal(parse_bundle_str(s, b), want);
    free(b);
    free(s);
}

static void test_bundle_variants(void **state)
{
    net_omemo_bundle *b = calloc(1, sizeof *b);

    (void)state;
    assert_non_null(b);
    assert_int_equal(parse_bundle_str(BUNDLE, b), AIRLOCK_OK);
    assert_int_equal(b->spk_id, 7);
    assert_int_equal(b->prekey_count, 1);
    free(b);
    /* a 32-byte key gets its type byte */
    expect_bundle("BVbYDMFfGEQk/ExguzH1N04Bmc69PR3elPPMLafj4foT",
                  "VtgMwV8YRCT8TGC7MfU3TgGZzr09Hd6U88wtp+Ph+hM=", AIRLOCK_OK);
    /* a 33-byte key with another type byte */
    expect_bundle("BVbYDMFfGEQk", "BlbYDMFfGEQk", AIRLOCK_ERR_MALFORMED);
    /* a short signature */
    expect_bundle("AsoZAQ==", "AsoZ", AIRLOCK_ERR_MALFORMED);
    /* missing parts, repeated parts */
    expect_bundle("<identityKey>", "<identityKeyX>", AIRLOCK_ERR_MALFORMED);
    expect_bundle("<prekeys>", "<prekeys/><prekeys>", AIRLOCK_ERR_MALFORMED);
    expect_bundle("signedPreKeyId='7'", "signedPreKeyId='0'",
                  AIRLOCK_ERR_MALFORMED);
    expect_bundle("preKeyId='1'", "preKeyId=''", AIRLOCK_ERR_MALFORMED);
    expect_bundle("</prekeys>", "<preKeyPublic preKeyId='2'>AAAA"
                  "</preKeyPublic></prekeys>", AIRLOCK_ERR_MALFORMED);
    /* no prekeys at all is a valid (if useless) bundle */
    expect_bundle("<preKeyPublic preKeyId='1'>"
                  "BQYykD6rSxGeJs7IZ+kcLxFViiFiA5c2A3kMQD5GJ1FY"
                  "</preKeyPublic>", "", AIRLOCK_OK);
}

static void test_devicelist_variants(void **state)
{
    uint32_t ids[NET_OMEMO_DEVICES_MAX];
    size_t n = 0, i, o;
    net_xml *x;
    char *s = malloc(65536);

    (void)state;
    assert_non_null(s);
    x = parse_str("<list xmlns='eu.siacs.conversations.axolotl'>"
                  "<device id='3'/><device id='4' label='phone'/>"
                  "<device id='3'/><other/></list>");
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), ids, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 4);
    net_xml_free(x);
    x = parse_str("<list xmlns='eu.siacs.conversations.axolotl'>"
                  "<device id='0'/></list>");
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), ids, &n),
                     AIRLOCK_ERR_MALFORMED);
    net_xml_free(x);
    x = parse_str("<list xmlns='urn:other'><device id='1'/></list>");
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), ids, &n),
                     AIRLOCK_ERR_MALFORMED);
    net_xml_free(x);
    /* an empty list */
    x = parse_str("<list xmlns='eu.siacs.conversations.axolotl'/>");
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), ids, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 0);
    net_xml_free(x);
    /* 65 distinct devices are too many */
    o = (size_t)snprintf(s, 65536,
                         "<list xmlns='eu.siacs.conversations.axolotl'>");
    for (i = 0; i < NET_OMEMO_DEVICES_MAX + 1; i++)
        o += (size_t)snprintf(s + o, 65536 - o, "<device id='%zu'/>", i + 1);
    snprintf(s + o, 65536 - o, "</list>");
    x = parse_str(s);
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), ids, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    net_xml_free(x);
    free(s);
}

static void test_find_item_shapes(void **state)
{
    net_xml *x;

    (void)state;
    /* two items: not a shape we read */
    x = parse_str("<message from='b@x'><event xmlns='http://jabber.org/"
                  "protocol/pubsub#event'><items node='eu.siacs."
                  "conversations.axolotl.devicelist'><item id='a'><list "
                  "xmlns='eu.siacs.conversations.axolotl'/></item><item "
                  "id='b'/></items></event></message>");
    assert_null(net_omemo_find_item(net_xml_root(x),
                                    NET_OMEMO_NODE_DEVICELIST, "list", NULL,
                                    NULL));
    net_xml_free(x);
    /* an event in a wrong namespace */
    x = parse_str("<message><event xmlns='urn:x'><items node='eu.siacs."
                  "conversations.axolotl.devicelist'><item><list xmlns='"
                  "eu.siacs.conversations.axolotl'/></item></items></event>"
                  "</message>");
    assert_null(net_omemo_find_item(net_xml_root(x),
                                    NET_OMEMO_NODE_DEVICELIST, "list", NULL,
                                    NULL));
    net_xml_free(x);
}

/* ---- base64 and decimals ---- */

static void test_b64(void **state)
{
    uint8_t out[16];
    size_t n = 0;
    char *s = NULL;
    const uint8_t all[3] = { 0xfb, 0xff, 0xbf };

    (void)state;
    assert_int_equal(net_b64_decode("", 0, out, sizeof out, &n), AIRLOCK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(net_b64_decode("Zg==", 4, out, sizeof out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(net_b64_decode("Zm8=", 4, out, sizeof out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(net_b64_decode("Zm9v", 4, out, sizeof out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 3);
    assert_int_equal(net_b64_decode("Zg=", 3, out, sizeof out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_b64_decode("Z===", 4, out, sizeof out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_b64_decode("Z", 1, out, sizeof out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_b64_decode("Zh==", 4, out, sizeof out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_b64_decode("Zm9vYmFy", 8, out, 5, &n),
                     AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(net_b64_decode("-_", 2, out, sizeof out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_b64_encode(all, 3, &s), AIRLOCK_OK);
    assert_string_equal(s, "+/+/");
    free(s);
    assert_int_equal(net_b64_encode(all, 1, &s), AIRLOCK_OK);
    assert_string_equal(s, "+w==");
    free(s);
    assert_int_equal(net_b64_encode(NULL, 0, &s), AIRLOCK_OK);
    assert_string_equal(s, "");
    free(s);
}

static void test_dec(void **state)
{
    uint32_t v = 9;

    (void)state;
    assert_int_equal(net_dec_u32("0", 10, &v), AIRLOCK_OK);
    assert_int_equal(v, 0);
    assert_int_equal(net_dec_u32("4294967295", UINT32_MAX, &v), AIRLOCK_OK);
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(net_dec_u32("4294967296", UINT32_MAX, &v),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_dec_u32("12345678901", UINT32_MAX, &v),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_dec_u32("+1", 10, &v), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_dec_u32("", 10, &v), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_dec_u32("11", 10, &v), AIRLOCK_ERR_MALFORMED);
}

/* ---- builders round trip through text and the parsers ---- */

static void test_build_message_roundtrip(void **state)
{
    static const uint8_t k1[] = { 0x33, 1, 2, 3, 4 }, k2[] = { 0x33, 9 };
    static const uint8_t iv[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    static const uint8_t pay[] = "hi <there> & 'you'";
    xmpp_ctx_t *ctx = net_xml_ctx_new();
    xmpp_stanza_t *st = NULL;
    net_env e;
    char *txt = NULL;
    size_t tn = 0;
    net_omemo_msg m;

    (void)state;
    assert_non_null(ctx);
    memset(&e, 0, sizeof e);
    e.sender_device = 4242;
    e.header_count = 2;
    e.headers[0].device = 11;
    e.headers[0].prekey = true;
    e.headers[0].keymsg = k1;
    e.headers[0].keymsg_n = sizeof k1;
    e.headers[1].device = 12;
    e.headers[1].keymsg = k2;
    e.headers[1].keymsg_n = sizeof k2;
    e.iv = iv;
    e.payload = pay;
    e.payload_n = sizeof pay - 1;
    assert_int_equal(net_omemo_build_message(ctx, &e, "bob@localhost", "id1",
                                             &st), AIRLOCK_OK);
    assert_int_equal(net_xml_own_text(st, &txt, &tn), AIRLOCK_OK);
    assert_non_null(strstr(txt, "<store xmlns=\"urn:xmpp:hints\"/>"));
    assert_non_null(strstr(txt, "type=\"chat\""));
    assert_int_equal(parse_msg_str(txt, &m), AIRLOCK_OK);
    assert_int_equal(m.sid, 4242);
    assert_int_equal(m.key_count, 2);
    assert_true(net_omemo_msg_key(&m, 11)->prekey);
    assert_false(net_omemo_msg_key(&m, 12)->prekey);
    assert_memory_equal(net_omemo_msg_key(&m, 11)->msg, k1, sizeof k1);
    assert_int_equal(m.iv_n, 12);
    assert_memory_equal(m.iv, iv, 12);
    assert_int_equal(m.payload_n, sizeof pay - 1);
    assert_memory_equal(m.payload, pay, sizeof pay - 1);
    net_omemo_msg_clear(&m);
    free(txt);
    net_xml_release(st);
    net_xml_ctx_free(ctx);
}

static void test_build_bundle_roundtrip(void **state)
{
    xmpp_ctx_t *ctx = net_xml_ctx_new();
    xmpp_stanza_t *st = NULL;
    net_omemo_local l;
    uint32_t ids[3] = { 1, 2, 300 };
    uint8_t pubs[3 * NET_OMEMO_PUB];
    net_omemo_bundle *b = calloc(1, sizeof *b);
    uint32_t dl[2] = { 5, 2147483647u }, got[NET_OMEMO_DEVICES_MAX];
    size_t tn = 0, n = 0;
    char *txt = NULL;
    net_xml *x;

    (void)state;
    assert_non_null(ctx);
    assert_non_null(b);
    memset(&l, 0, sizeof l);
    l.device_id = 99;
    l.spk_id = 1;
    l.ik[0] = 5;
    l.spk[0] = 5;
    memset(l.sig, 0x77, sizeof l.sig);
    memset(pubs, 0x22, sizeof pubs);
    pubs[0] = pubs[NET_OMEMO_PUB] = pubs[2 * NET_OMEMO_PUB] = 5;
    assert_int_equal(net_omemo_build_bundle(ctx, &l, ids, pubs, 3, &st),
                     AIRLOCK_OK);
    assert_int_equal(net_xml_own_text(st, &txt, &tn), AIRLOCK_OK);
    x = parse_str(txt);
    assert_int_equal(net_omemo_bundle_parse(net_xml_root(x), b), AIRLOCK_OK);
    assert_int_equal(b->spk_id, 1);
    assert_memory_equal(b->sig, l.sig, NET_OMEMO_SIG);
    assert_int_equal(b->prekey_count, 3);
    assert_int_equal(b->prekey_id[2], 300);
    assert_memory_equal(b->prekey[1], pubs + NET_OMEMO_PUB, NET_OMEMO_PUB);
    net_xml_free(x);
    free(txt);
    net_xml_release(st);
    assert_int_equal(net_omemo_build_devicelist(ctx, dl, 2, &st),
                     AIRLOCK_OK);
    assert_int_equal(net_xml_own_text(st, &txt, &tn), AIRLOCK_OK);
    x = parse_str(txt);
    assert_int_equal(net_omemo_devicelist_parse(net_xml_root(x), got, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(got[1], 2147483647u);
    net_xml_free(x);
    free(txt);
    net_xml_release(st);
    free(b);
    net_xml_ctx_free(ctx);
}

static void test_xml_parse_limits(void **state)
{
    net_xml *x = NULL;

    (void)state;
    assert_int_equal(net_xml_parse("<a>\0</a>", 8, &x),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_xml_parse("<a>", 3, &x), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(net_xml_parse("x", NET_XML_MAX + 1, &x),
                     AIRLOCK_ERR_TOO_LARGE);
    assert_null(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_samples),
        cmocka_unit_test(test_bundle_samples),
        cmocka_unit_test(test_bundle_publish_sample),
        cmocka_unit_test(test_devicelist_samples),
        cmocka_unit_test(test_message_variants),
        cmocka_unit_test(test_message_limits),
        cmocka_unit_test(test_bundle_variants),
        cmocka_unit_test(test_devicelist_variants),
        cmocka_unit_test(test_find_item_shapes),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_dec),
        cmocka_unit_test(test_build_message_roundtrip),
        cmocka_unit_test(test_build_bundle_roundtrip),
        cmocka_unit_test(test_xml_parse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
