/*
 * test_outbox.c - the outbox table (services/outbox.c) on a real store:
 * enqueue inside a transaction (and gone with its rollback), the bounds of a
 * row, the unique notification id, paging by status with the cursor,
 * retry from every status, the pending statistics, and the retry schedule
 * (2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h, then none). Delivery itself
 * runs against the real server and a receiver: tests/e2e/test_worldfirst.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/outbox.h"
#include "store/store.h"

#define T0 1768557600000LL

static int setup(void **state)
{
    struct store *s = NULL;
    struct fg_err err;
    assert_int_equal(store_open(":memory:", true, &s, &err), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    return 0;
}

static int enqueue(struct store *s, const char *id, const char *body, int64_t now)
{
    struct fg_err err;
    struct outbox_new n = {.notification_id = id,
                           .family = "worldfirst",
                           .client_key = "wf1",
                           .kind = "notifyExchange",
                           .ref = "x1",
                           .url = "http://127.0.0.1:9/n",
                           .body = body,
                           .body_len = strlen(body)};
    assert_int_equal(store_begin(s, &err), 0);
    int rc = outbox_enqueue(s, now, &n, &err);
    if (rc == 0)
        assert_int_equal(store_commit(s, &err), 0);
    else
        store_rollback(s);
    return rc;
}

struct seen {
    int64_t ids[16];
    int n;
};

static int seen_row(void *ctx, const struct outbox_row *r)
{
    struct seen *s = ctx;
    s->ids[s->n++] = r->id;
    assert_int_equal(r->body_len, strlen(r->body));
    return 0;
}

static void test_enqueue_and_list(void **state)
{
    struct store *s = *state;
    struct fg_err err;
    assert_int_equal(enqueue(s, "wfn-1", "{\"a\":1}", T0), 0);
    assert_int_equal(enqueue(s, "wfn-2", "{\"a\":2}", T0 + 1), 0);
    assert_int_equal(enqueue(s, "wfn-3", "{\"a\":3}", T0 + 2), 0);
    assert_int_equal(enqueue(s, "wfn-2", "{\"a\":9}", T0 + 3), -FG_ECONSTRAINT); /* id is forever */
    /* A rolled-back transaction leaves no row (invariant 1). */
    struct outbox_new n = {.notification_id = "wfn-4",
                           .family = "worldfirst",
                           .client_key = "wf1",
                           .kind = "notifyExchange",
                           .ref = "x4",
                           .url = "http://h/n",
                           .body = "{}",
                           .body_len = 2};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(outbox_enqueue(s, T0, &n, &err), 0);
    store_rollback(s);
    struct outbox_row r;
    assert_int_equal(outbox_get(s, 1, &r, &err), 0);
    assert_string_equal(r.notification_id, "wfn-1");
    assert_string_equal(r.body, "{\"a\":1}");
    assert_int_equal(r.status, OUTBOX_PENDING);
    assert_int_equal(r.tries, 0);
    assert_int_equal(r.next_ms, T0);
    assert_int_equal(r.created_ms, T0);
    outbox_row_release(&r);
    assert_int_equal(outbox_get(s, 4, &r, &err), -FG_ENOT_FOUND);
    struct seen a = {0};
    bool more = false;
    assert_int_equal(outbox_list(s, OUTBOX_PENDING, 0, 2, seen_row, &a, &more, &err), 0);
    assert_int_equal(a.n, 2);
    assert_true(more);
    struct seen b = {0};
    assert_int_equal(outbox_list(s, -1, a.ids[1], 2, seen_row, &b, &more, &err), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.ids[0], 3);
    assert_false(more);
    struct seen c = {0};
    assert_int_equal(outbox_list(s, OUTBOX_DEAD, 0, 10, seen_row, &c, &more, &err), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(outbox_list(s, -1, 0, 0, seen_row, &c, &more, &err), -FG_EBAD_FIELD);
    assert_int_equal(outbox_list(s, -1, 0, FG_PAGE_LIMIT_MAX + 1, seen_row, &c, &more, &err),
                     -FG_EBAD_FIELD);
    int64_t count = 0, oldest = 0;
    assert_int_equal(outbox_pending_stats(s, &count, &oldest, &err), 0);
    assert_int_equal(count, 3);
    assert_int_equal(oldest, T0);
}

static void test_bounds(void **state)
{
    struct store *s = *state;
    char *big = malloc(FG_OUTBOX_BODY_BYTES_MAX + 2);
    memset(big, 'x', FG_OUTBOX_BODY_BYTES_MAX + 1);
    big[FG_OUTBOX_BODY_BYTES_MAX + 1] = '\0';
    assert_int_equal(enqueue(s, "wfn-big", big, T0), -FG_EBAD_REQUEST);
    big[FG_OUTBOX_BODY_BYTES_MAX] = '\0'; /* at the limit */
    assert_int_equal(enqueue(s, "wfn-max", big, T0), 0);
    free(big);
    assert_int_equal(enqueue(s, "", "{}", T0), -FG_EBAD_REQUEST);
    assert_int_equal(enqueue(s, "wfn-empty", "", T0), -FG_EBAD_REQUEST);
    char id[OUTBOX_ID_BYTES + 1];
    memset(id, 'i', sizeof(id) - 1);
    id[OUTBOX_ID_BYTES] = '\0';
    assert_int_equal(enqueue(s, id, "{}", T0), -FG_EBAD_REQUEST);
    id[OUTBOX_ID_BYTES - 1] = '\0';
    assert_int_equal(enqueue(s, id, "{}", T0), 0);
}

static void test_retry(void **state)
{
    struct store *s = *state;
    struct fg_err err;
    assert_int_equal(enqueue(s, "wfn-1", "{}", T0), 0);
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_exec_changes(s,
                                        "UPDATE outbox SET status = 2, tries = 8, done_ms = ? "
                                        "WHERE id = 1",
                                        STORE_ARGS(SA_INT(T0 + 5)), NULL, &err),
                     0);
    assert_int_equal(outbox_retry(s, 1, T0 + 10, &err), 0);
    assert_int_equal(outbox_retry(s, 99, T0 + 10, &err), -FG_ENOT_FOUND);
    assert_int_equal(store_commit(s, &err), 0);
    struct outbox_row r;
    assert_int_equal(outbox_get(s, 1, &r, &err), 0);
    assert_int_equal(r.status, OUTBOX_PENDING);
    assert_int_equal(r.tries, 0);
    assert_int_equal(r.next_ms, T0 + 10);
    assert_int_equal(r.done_ms, 0);
    outbox_row_release(&r);
}

static void test_schedule(void **state)
{
    (void)state;
    const int64_t min = 60000, hour = 60 * min;
    const int64_t want[] = {2 * min, 10 * min, 10 * min, hour, 2 * hour, 6 * hour, 15 * hour};
    assert_int_equal(FG_OUTBOX_TRIES_MAX, 8);
    for (int tries = 1; tries < FG_OUTBOX_TRIES_MAX; tries++)
        assert_int_equal(outbox_delay_ms(tries), want[tries - 1]);
    assert_int_equal(outbox_delay_ms(FG_OUTBOX_TRIES_MAX), -1); /* the 8th failed: dead */
    assert_int_equal(outbox_delay_ms(0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
