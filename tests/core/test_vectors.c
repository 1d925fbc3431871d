/* test_vectors.c - tests/vectors/render.json through the public API
 * (airlock_render, airlock_model_to_json / _to_text), independently of the
 * `airlock vectors` command. Cases of other types are skipped here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "airlock/airlock.h"

#define MIN_RENDER_CASES 150

static json_t *load(void)
{
    const char *src = getenv("AIRLOCK_SOURCE_DIR");
    char path[4096];
    json_error_t err;
    json_t *root;

    assert_non_null(src);
    snprintf(path, sizeof path, "%s/tests/vectors/render.json", src);
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL)
        print_error("%s:%d: %s\n", path, err.line, err.text);
    assert_non_null(root);
    return root;
}

static uint8_t *unhex(const char *s, size_t *n)
{
    size_t len = strlen(s), i;
    uint8_t *b = malloc(len / 2 + 1);

    assert_non_null(b);
    assert_int_equal(len % 2, 0);
    for (i = 0; i < len / 2; i++) {
        unsigned v;
        char pair[3] = { s[2 * i], s[2 * i + 1], 0 };
        char *end;

        v = (unsigned)strtoul(pair, &end, 16);
        assert_true(*end == '\0');
        b[i] = (uint8_t)v;
    }
    *n = len / 2;
    return b;
}

static airlock_trust trust_of(const char *s)
{
    if (strcmp(s, "unknown") == 0)
        return AIRLOCK_TRUST_UNKNOWN;
    if (strcmp(s, "accepted") == 0)
        return AIRLOCK_TRUST_ACCEPTED;
    if (strcmp(s, "verified") == 0)
        return AIRLOCK_TRUST_VERIFIED;
    assert_string_equal(s, "blocked");
    return AIRLOCK_TRUST_BLOCKED;
}

static void test_file_shape(void **state)
{
    json_t *root = load();
    json_t *cases = json_object_get(root, "cases");
    json_t *names = json_object();
    size_t i, render = 0;

    (void)state;
    assert_string_equal(json_string_value(json_object_get(root, "format")),
                        "airlock-vectors");
    assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
    assert_true(json_is_array(cases));
    for (i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *name = json_string_value(json_object_get(c, "name"));

        assert_non_null(type);
        assert_non_null(name);
        /* names are unique, so a failure report points at one case */
        assert_null(json_object_get(names, name));
        json_object_set_new(names, name, json_true());
        if (strcmp(type, "render") == 0)
            render++;
    }
    assert_true(render >= MIN_RENDER_CASES);
    json_decref(names);
    json_decref(root);
}

static void test_render_cases(void **state)
{
    json_t *root = load();
    json_t *cases = json_object_get(root, "cases");
    size_t i, failed = 0, ran = 0;

    (void)state;
    for (i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *expected = json_object_get(c, "expected");
        json_t *malformed = json_object_get(c, "malformed");
        json_t *text = json_object_get(c, "text");
        json_t *got;
        json_error_t jerr;
        airlock_model *m = NULL;
        uint8_t *in;
        size_t n;
        char *out = NULL;
        int ok;

        if (strcmp(json_string_value(json_object_get(c, "type")), "render"))
            continue;
        ran++;
        in = unhex(json_string_value(json_object_get(c, "input")), &n);
        assert_int_equal(airlock_render(
            in, n, trust_of(json_string_value(json_object_get(c, "trust"))),
            strcmp(json_string_value(json_object_get(c, "input_kind")),
                   "body") == 0 ? AIRLOCK_INPUT_BODY : AIRLOCK_INPUT_FRAME,
            NULL, &m), AIRLOCK_OK);
        assert_int_equal(airlock_model_to_json(m, &out, NULL), AIRLOCK_OK);
        got = json_loads(out, 0, &jerr);
        assert_non_null(got);
        ok = json_equal(got, expected) &&
             (json_is_true(malformed) == (airlock_model_malformed(m) != 0));
        if (!ok) {
            char *w = json_dumps(expected, JSON_COMPACT | JSON_ENSURE_ASCII |
                                 JSON_PRESERVE_ORDER);

            print_error("case %s:\n want %s (malformed %d)\n  got %s "
                        "(malformed %d)\n", name, w, json_is_true(malformed),
                        out, airlock_model_malformed(m));
            free(w);
        }
        airlock_free(out);
        out = NULL;
        if (ok && text != NULL) {
            assert_int_equal(airlock_model_to_text(m, &out, NULL), AIRLOCK_OK);
            if (strcmp(out, json_string_value(text)) != 0) {
                print_error("case %s: text form\n want [%s]\n  got [%s]\n",
                            name, json_string_value(text), out);
                ok = 0;
            }
            airlock_free(out);
        }
        failed += !ok;
        json_decref(got);
        airlock_model_free(m);
        free(in);
    }
    assert_true(ran >= MIN_RENDER_CASES);
    assert_int_equal(failed, 0);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_shape),
        cmocka_unit_test(test_render_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
