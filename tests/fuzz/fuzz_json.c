/*
 * fuzz_json.c - jsonx_parse_object, the strict reader of every JSON request
 * body, its depth scanner, and the fast answer writer (jsonx_buf_*).
 *
 * Input: a request body. Properties:
 * - jsonx_depth equals the nesting depth of the tree jansson reads from the
 *   same text, for every text jansson accepts (the scanner runs before the
 *   parser, so it must not be fooled by strings or escapes);
 * - jsonx_parse_object accepts exactly the JSON objects without duplicate
 *   keys, at most FG_JSON_DEPTH_MAX deep and without a NUL byte (jansson
 *   reads `{}\0garbage` as `{}`); too deep is -FG_ETOO_DEEP, other
 *   refusals -FG_EBAD_JSON, each with a message;
 * - what it accepts dumps (jsonx_dump) to a text that reads back equal;
 * - the fast writer gives the same bytes as jsonx_dump for the same object
 *   whenever it does not fall back (a replayed answer must be byte for byte
 *   the original).
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/jsonx.h"
#include "core/limits.h"

#define FAST_BYTES_MAX (256 * 1024)

static int tree_depth(const json_t *v)
{
    int max = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child)
        {
            int d = tree_depth(child);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int d = tree_depth(json_array_get(v, i));
            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}

/* The tree written with jsonx_buf_*, the way the fast answers are built. */
static void fast_write(struct jsonx_buf *b, const json_t *v)
{
    size_t i = 0;
    const char *key;
    json_t *child;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        jsonx_buf_lit(b, "{");
        json_object_foreach((json_t *)v, key, child)
        {
            jsonx_buf_lit(b, i++ ? "," : "");
            jsonx_buf_str(b, key);
            jsonx_buf_lit(b, ":");
            fast_write(b, child);
        }
        jsonx_buf_lit(b, "}");
        break;
    case JSON_ARRAY:
        jsonx_buf_lit(b, "[");
        for (i = 0; i < json_array_size(v); i++) {
            jsonx_buf_lit(b, i ? "," : "");
            fast_write(b, json_array_get(v, i));
        }
        jsonx_buf_lit(b, "]");
        break;
    case JSON_STRING:
        jsonx_buf_str(b, json_string_value(v));
        break;
    case JSON_INTEGER:
        jsonx_buf_int(b, json_integer_value(v));
        break;
    case JSON_TRUE:
        jsonx_buf_lit(b, "true");
        break;
    case JSON_FALSE:
        jsonx_buf_lit(b, "false");
        break;
    case JSON_NULL:
        jsonx_buf_lit(b, "null");
        break;
    default:
        b->failed = true; /* reals: the fast answers never carry one */
    }
}

static void check_accepted(json_t *obj)
{
    size_t len = 0;
    char *text = jsonx_dump(obj, &len);
    FUZZ_CHECK(text && len == strlen(text), "jsonx_dump failed");
    json_t *again = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(again && json_equal(obj, again), "dump '%s' does not read back equal", text);
    FUZZ_CHECK(jsonx_depth(text, len) == tree_depth(obj), "depth of the dump");
    json_decref(again);

    static char mem[FAST_BYTES_MAX];
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, sizeof(mem));
    fast_write(&b, obj);
    if (!b.failed)
        FUZZ_CHECK(b.len == len && memcmp(mem, text, len) == 0,
                   "fast writer gives\n  %s\njansson gives\n  %s", mem, text);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    json_t *ref = json_loadb(body, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    int depth = jsonx_depth(body, size);
    if (ref)
        FUZZ_CHECK(depth == tree_depth(ref), "jsonx_depth %d, the tree is %d deep", depth,
                   tree_depth(ref));

    json_t *obj = NULL;
    struct fg_err err = {0};
    int rc = jsonx_parse_object(body, size, &obj, &err);
    bool want = ref && json_is_object(ref) && depth <= FG_JSON_DEPTH_MAX &&
                size <= FG_HTTP_BODY_BYTES_MAX && !memchr(body, '\0', size);
    FUZZ_CHECK((rc == 0) == want, "parse rc %d (%s), reference %s", rc, err.msg,
               want ? "accepts" : "refuses");
    if (rc == 0) {
        FUZZ_CHECK(obj && json_equal(obj, ref), "accepted object differs from jansson's");
        check_accepted(obj);
    } else {
        FUZZ_CHECK(!obj && err.msg[0], "refusal leaves an object or no message");
        int code = depth > FG_JSON_DEPTH_MAX ? -FG_ETOO_DEEP : -FG_EBAD_JSON;
        FUZZ_CHECK(rc == code || (rc == -FG_ETOO_LARGE && size > FG_HTTP_BODY_BYTES_MAX),
                   "refusal code %d, expected %d", rc, code);
    }
    json_decref(obj);
    json_decref(ref);
    return 0;
}
