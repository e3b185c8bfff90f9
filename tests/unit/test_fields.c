/*
 * test_fields.c - core/fields: declarative field specs (issue 11). Each kind
 * reads what its jsonx reader reads, with the same codes and messages; the
 * first failure in the list wins; absent optional fields leave the
 * destination alone; nothing is ever cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fields.h"

struct dst {
    char name[9]; /* 8 bytes */
    char id[17];
    char text[4 * 3 + 1]; /* 3 characters */
    char amount_text[40];
    int digits;
    int64_t amount;
    int64_t n;
    int small;
    bool flag;
    char color[8];
    int color_index;
    int steps;
};

static const char *const colors[] = {"red", "green", NULL};

static int count_step(json_t *obj, const struct field_spec *f, void *dst, void *ctx,
                      struct fg_err *err)
{
    (void)obj, (void)f, (void)err;
    ((struct dst *)dst)->steps += *(int *)ctx;
    return 0;
}

static int no_x(const char *name, const char *v, struct fg_err *err)
{
    return strchr(v, 'x') ? fg_fail(err, -FG_EBAD_FIELD, "field '%s' holds an x", name) : 0;
}

static const struct field_spec specs[] = {
    {.name = "name",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct dst, name),
     .check = no_x},
    {.name = "id", .kind = FIELD_ID, FIELD_AT(struct dst, id), .refuse_code = -FG_ENOT_FOUND},
    {.name = "text", .kind = FIELD_TEXT, .max = 3, FIELD_AT(struct dst, text)},
    {.name = "amount_text", .kind = FIELD_DECIMAL, .min = -1, FIELD_AT(struct dst, amount_text)},
    {.name = "amount",
     .kind = FIELD_AMOUNT,
     FIELD_AT(struct dst, amount),
     .aux = offsetof(struct dst, digits)},
    {.name = "n", .kind = FIELD_INT, .min = -5, .max = 5, FIELD_AT(struct dst, n)},
    {.name = "small", .kind = FIELD_INT32, .max = 9, FIELD_AT(struct dst, small)},
    {.name = "flag", .kind = FIELD_BOOL, FIELD_AT(struct dst, flag)},
    {.name = "color", .kind = FIELD_ENUM, .choices = colors, FIELD_AT(struct dst, color)},
    {.name = "color_index",
     .kind = FIELD_CHOICE,
     .choices = colors,
     FIELD_AT(struct dst, color_index)},
    {.name = ".step", .kind = FIELD_CUSTOM, .read = count_step},
    {0},
};

static int run(const char *text, struct dst *d, struct fg_err *err)
{
    json_t *obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    int one = 1;
    memset(d, 0, sizeof(*d));
    d->digits = 2;
    d->color_index = -1;
    int rc = fields_read(obj, specs, d, &one, err);
    json_decref(obj);
    return rc;
}

static void test_every_kind(void **state)
{
    (void)state;
    struct dst d;
    struct fg_err err = {0};
    assert_int_equal(run("{\"name\":\"12345678\",\"id\":\"a.b:c@d-e_f\",\"text\":\"\\u00e9\\n\","
                         "\"amount_text\":\"-0100.50\",\"amount\":\"1.5\",\"n\":-5,\"small\":9,"
                         "\"flag\":true,\"color\":\"green\",\"color_index\":\"green\"}",
                         &d, &err),
                     0);
    assert_string_equal(d.name, "12345678");
    assert_string_equal(d.id, "a.b:c@d-e_f");
    assert_string_equal(d.text, "\xc3\xa9\n");
    assert_string_equal(d.amount_text, "-0100.50");
    assert_int_equal(d.amount, 150);
    assert_int_equal(d.n, -5);
    assert_int_equal(d.small, 9);
    assert_true(d.flag);
    assert_string_equal(d.color, "green");
    assert_int_equal(d.color_index, 1);
    assert_int_equal(d.steps, 1);
}

/* Absent and null optional fields leave the destination as it was. */
static void test_absent(void **state)
{
    (void)state;
    struct dst d;
    struct fg_err err = {0};
    assert_int_equal(run("{\"name\":\"a\",\"n\":null}", &d, &err), 0);
    assert_string_equal(d.id, "");
    assert_int_equal(d.n, 0);
    assert_int_equal(d.color_index, -1);
    assert_int_equal(d.steps, 1);
    assert_int_equal(run("{}", &d, &err), -FG_EMISSING_FIELD);
    assert_string_equal(err.msg, "field 'name' is required");
    assert_int_equal(d.steps, 0); /* nothing after the first failure runs */
}

struct refusal {
    const char *body;
    int rc;
    const char *msg;
};

static const struct refusal refusals[] = {
    {"{\"name\":\"123456789\"}", -FG_EBAD_FIELD, "field 'name' is longer than 8 bytes"},
    {"{\"name\":\"a\\u0001\"}", -FG_EBAD_FIELD, "field 'name' contains a control character"},
    {"{\"name\":\"\"}", -FG_EBAD_FIELD, "field 'name' must not be empty"},
    {"{\"name\":\"x\"}", -FG_EBAD_FIELD, "field 'name' holds an x"},
    {"{\"name\":1}", -FG_EBAD_FIELD, "field 'name' must be a string"},
    {"{\"name\":\"a\",\"id\":\"a b\"}", -FG_ENOT_FOUND, "unknown id"},
    {"{\"name\":\"a\",\"id\":5}", -FG_EBAD_FIELD, "field 'id' must be a string"},
    {"{\"name\":\"a\",\"text\":\"abcd\"}", -FG_EBAD_FIELD,
     "field 'text' is longer than 3 characters"},
    {"{\"name\":\"a\",\"amount_text\":\"1e3\"}", -FG_EBAD_FIELD,
     "field 'amount_text' must be a decimal string"},
    {"{\"name\":\"a\",\"amount\":\"1.005\"}", -FG_EBAD_AMOUNT, NULL},
    {"{\"name\":\"a\",\"amount\":1}", -FG_EBAD_AMOUNT, "field 'amount' must be a decimal string"},
    {"{\"name\":\"a\",\"n\":6}", -FG_EBAD_FIELD, "field 'n' must be between -5 and 5"},
    {"{\"name\":\"a\",\"small\":-1}", -FG_EBAD_FIELD, "field 'small' must be between 0 and 9"},
    {"{\"name\":\"a\",\"flag\":1}", -FG_EBAD_FIELD, "field 'flag' must be true or false"},
    {"{\"name\":\"a\",\"color\":\"blue\"}", -FG_EBAD_FIELD,
     "field 'color' must be one of red|green"},
    {"{\"name\":\"a\",\"color_index\":\"blue\"}", -FG_EBAD_FIELD,
     "field 'color_index' must be one of red|green"},
};

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        struct dst d;
        struct fg_err err = {0};
        int rc = run(refusals[i].body, &d, &err);
        if (rc != refusals[i].rc || (refusals[i].msg && strcmp(err.msg, refusals[i].msg) != 0))
            fail_msg("case %zu: %d '%s'", i, rc, err.msg);
        assert_int_equal(d.steps, 0);
    }
}

static void test_keys(void **state)
{
    (void)state;
    const char *keys[16];
    fields_keys(specs, keys, 16);
    assert_string_equal(keys[0], "name");
    assert_string_equal(keys[9], "color_index");
    assert_null(keys[10]); /* the step is no key */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
