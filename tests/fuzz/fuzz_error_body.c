/*
 * fuzz_error_body.c - http_req_error, which writes the admin-shaped error
 * answer {"error":{"code":...,"message":...}}. Its message is made from
 * outside bytes more often than not ("unknown field '%.64s'", a path
 * parameter, a header), cut by "%.Ns" and by the fixed size of struct fg_err,
 * so it must stay a valid JSON text whatever bytes it is given.
 *
 * Input: the first byte picks the code, the rest is the message (a C string).
 * Properties: the body is a JSON text jansson reads (which includes: valid
 * UTF-8); its code is the code's wire name and the status its HTTP status;
 * the message read back is the message given when that is valid UTF-8 of at
 * most 1,024 bytes; when it is not UTF-8, what comes back says so with a
 * U+FFFD where the bad bytes were.
 *
 * Finding: bytes that were not UTF-8 went out raw (tests/unit/test_http_error.c;
 * the crash input is kept in tests/fuzz/error_body/).
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/errors.h"
#include "http/http.h"

#define MSG_BYTES_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int code = -(int)(1 + data[0] % (FG_CODE_COUNT - 1));
    char *msg = fuzz_cstr(data + 1, size - 1);

    struct http_req req;
    http_req_internal_init(&req, "POST", "/admin/v1/currencies", "", 0, NULL, NULL);
    http_req_error(&req, code, msg);
    json_error_t je;
    json_t *body = json_loadb(req.resp_body, req.resp_len, 0, &je);
    FUZZ_CHECK(body, "error body is not json (%s at %d): %.*s", je.text, je.position,
               (int)req.resp_len, req.resp_body);
    json_t *e = json_object_get(body, "error");
    const char *name = json_string_value(json_object_get(e, "code"));
    const char *text = json_string_value(json_object_get(e, "message"));
    FUZZ_CHECK(json_object_size(body) == 1 && json_object_size(e) == 2 && name && text,
               "error body shape");
    FUZZ_CHECK(strcmp(name, fg_code_name(code)) == 0 && req.status == fg_code_http_status(code),
               "code %s status %d", name, req.status);
    json_t *given = json_string(msg); /* NULL when msg is not valid UTF-8 */
    if (given && strlen(msg) <= MSG_BYTES_MAX)
        FUZZ_CHECK(strcmp(text, msg) == 0, "message '%s' came back as '%s'", msg, text);
    if (!given && strlen(msg) <= MSG_BYTES_MAX)
        FUZZ_CHECK(strstr(text, "\xef\xbf\xbd"), "'%s' came back without U+FFFD", msg);
    json_decref(given);
    json_decref(body);
    http_req_internal_release(&req);
    free(msg);
    return 0;
}
