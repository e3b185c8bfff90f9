/*
 * test_tradeboss_fence.c - the TCC fence of families/tradeboss/tradeboss_fence.c: every
 * state x event pair against an expected table written out by hand, the
 * invariants (only NONE and APPLIED are ever left; money moves only on
 * RUN_EXECUTE and REVERSE; a tombstone never runs an execute), whole orderings
 * of execute and cancel, and out-of-range input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "families/tradeboss/tradeboss_fence.h"

#define N TB_FENCE_NONE
#define AP TB_FENCE_APPLIED
#define RF TB_FENCE_REFUSED
#define TS TB_FENCE_TOMBSTONE
#define RV TB_FENCE_REVERSED

struct expect {
    enum tb_fence_state state;
    enum tb_fence_event event;
    enum tb_fence_action action;
    enum tb_fence_state next;
};

/* All 5 x 6 pairs. */
static const struct expect table[] = {
    {N, TB_EV_EXECUTE, TB_FENCE_RUN_EXECUTE, N},
    {N, TB_EV_EXECUTE_OTHER, TB_FENCE_INVALID, N},
    {N, TB_EV_EXECUTE_APPLIED, TB_FENCE_RECORD, AP},
    {N, TB_EV_EXECUTE_REFUSED, TB_FENCE_RECORD, RF},
    {N, TB_EV_CANCEL, TB_FENCE_WRITE_TOMBSTONE, TS},
    {N, TB_EV_CANCEL_MISMATCH, TB_FENCE_WRITE_TOMBSTONE, TS},

    {AP, TB_EV_EXECUTE, TB_FENCE_REPLAY, AP},
    {AP, TB_EV_EXECUTE_OTHER, TB_FENCE_CONFLICT, AP},
    {AP, TB_EV_EXECUTE_APPLIED, TB_FENCE_INVALID, N},
    {AP, TB_EV_EXECUTE_REFUSED, TB_FENCE_INVALID, N},
    {AP, TB_EV_CANCEL, TB_FENCE_REVERSE, RV},
    {AP, TB_EV_CANCEL_MISMATCH, TB_FENCE_MISMATCH, AP},

    {RF, TB_EV_EXECUTE, TB_FENCE_REPLAY, RF},
    {RF, TB_EV_EXECUTE_OTHER, TB_FENCE_CONFLICT, RF},
    {RF, TB_EV_EXECUTE_APPLIED, TB_FENCE_INVALID, N},
    {RF, TB_EV_EXECUTE_REFUSED, TB_FENCE_INVALID, N},
    {RF, TB_EV_CANCEL, TB_FENCE_REFUSED_BEFORE, RF},
    {RF, TB_EV_CANCEL_MISMATCH, TB_FENCE_REFUSED_BEFORE, RF},

    {TS, TB_EV_EXECUTE, TB_FENCE_TOMBSTONE_HIT, TS},
    {TS, TB_EV_EXECUTE_OTHER, TB_FENCE_TOMBSTONE_HIT, TS},
    {TS, TB_EV_EXECUTE_APPLIED, TB_FENCE_INVALID, N},
    {TS, TB_EV_EXECUTE_REFUSED, TB_FENCE_INVALID, N},
    {TS, TB_EV_CANCEL, TB_FENCE_NEVER_RECEIVED, TS},
    {TS, TB_EV_CANCEL_MISMATCH, TB_FENCE_NEVER_RECEIVED, TS},

    {RV, TB_EV_EXECUTE, TB_FENCE_REPLAY, RV},
    {RV, TB_EV_EXECUTE_OTHER, TB_FENCE_CONFLICT, RV},
    {RV, TB_EV_EXECUTE_APPLIED, TB_FENCE_INVALID, N},
    {RV, TB_EV_EXECUTE_REFUSED, TB_FENCE_INVALID, N},
    {RV, TB_EV_CANCEL, TB_FENCE_ALREADY_REVERSED, RV},
    {RV, TB_EV_CANCEL_MISMATCH, TB_FENCE_MISMATCH, RV},
};

static void test_every_pair(void **state)
{
    (void)state;
    int n = (int)(sizeof(table) / sizeof(table[0]));
    assert_int_equal(n, TB_FENCE_STATE_COUNT * TB_EV_COUNT);
    bool seen[TB_FENCE_STATE_COUNT][TB_EV_COUNT] = {{false}};
    for (int i = 0; i < n; i++) {
        struct tb_fence_step st = tb_fence_step(table[i].state, table[i].event);
        if (st.action != table[i].action || st.next != table[i].next)
            fail_msg("state %s event %d: got action %d next %s, want %d %s",
                     tb_fence_state_name(table[i].state), table[i].event, st.action,
                     tb_fence_state_name(st.next), table[i].action,
                     tb_fence_state_name(table[i].next));
        assert_false(seen[table[i].state][table[i].event]);
        seen[table[i].state][table[i].event] = true;
    }
}

static void test_invariants(void **state)
{
    (void)state;
    for (int s = 0; s < TB_FENCE_STATE_COUNT; s++)
        for (int e = 0; e < TB_EV_COUNT; e++) {
            struct tb_fence_step st = tb_fence_step((enum tb_fence_state)s, (enum tb_fence_event)e);
            if (st.action == TB_FENCE_INVALID)
                continue;
            /* 1. only NONE and APPLIED are ever left; APPLIED only for REVERSED. */
            if (s != N && (int)st.next != s)
                assert_true(s == AP && st.next == RV && st.action == TB_FENCE_REVERSE);
            /* 3. money moves only on RUN_EXECUTE (from NONE) and REVERSE (from APPLIED). */
            if (tb_fence_moves_money(st.action))
                assert_true((s == N && st.action == TB_FENCE_RUN_EXECUTE) ||
                            (s == AP && st.action == TB_FENCE_REVERSE));
            /* 2. a tombstone never runs an execute; a cancel on NONE leaves one. */
            if (s == TS)
                assert_false(tb_fence_moves_money(st.action));
            if (s == N && (e == TB_EV_CANCEL || e == TB_EV_CANCEL_MISMATCH))
                assert_int_equal(st.next, TS);
        }
}

/* Drive the machine like tradeboss.c does: an execute that applies, or is
 * refused, or a cancel; the state after each sequence. */
static enum tb_fence_state drive(enum tb_fence_state s, const char *seq, int *moves)
{
    for (const char *p = seq; *p; p++) {
        struct tb_fence_step st;
        if (*p == 'E' || *p == 'X') { /* E: an execute that applies, X: one that is refused */
            st = tb_fence_step(s, TB_EV_EXECUTE);
            if (st.action == TB_FENCE_RUN_EXECUTE) {
                (*moves) += *p == 'E';
                st = tb_fence_step(s, *p == 'E' ? TB_EV_EXECUTE_APPLIED : TB_EV_EXECUTE_REFUSED);
                assert_int_equal(st.action, TB_FENCE_RECORD);
            }
        } else {
            st = tb_fence_step(s, TB_EV_CANCEL);
            if (st.action == TB_FENCE_REVERSE)
                (*moves)--;
        }
        assert_int_not_equal(st.action, TB_FENCE_INVALID);
        s = st.next;
    }
    return s;
}

static void test_orderings(void **state)
{
    (void)state;
    int m = 0;
    assert_int_equal(drive(N, "EEEC", &m), RV);
    assert_int_equal(m, 0); /* applied once, reversed once */
    m = 0;
    assert_int_equal(drive(N, "ECECCE", &m), RV);
    assert_int_equal(m, 0);
    m = 0;
    assert_int_equal(drive(N, "CEEC", &m), TS);
    assert_int_equal(m, 0); /* never moved */
    m = 0;
    assert_int_equal(drive(N, "XCE", &m), RF);
    assert_int_equal(m, 0);
    m = 0;
    assert_int_equal(drive(N, "EEE", &m), AP);
    assert_int_equal(m, 1);
}

static void test_out_of_range(void **state)
{
    (void)state;
    struct tb_fence_step st = tb_fence_step(TB_FENCE_STATE_COUNT, TB_EV_EXECUTE);
    assert_int_equal(st.action, TB_FENCE_INVALID);
    st = tb_fence_step(TB_FENCE_APPLIED, TB_EV_COUNT);
    assert_int_equal(st.action, TB_FENCE_INVALID);
    st = tb_fence_step((enum tb_fence_state) - 1, TB_EV_CANCEL);
    assert_int_equal(st.action, TB_FENCE_INVALID);
    assert_string_equal(tb_fence_state_name(TB_FENCE_STATE_COUNT), "invalid");
    assert_string_equal(tb_fence_state_name(TB_FENCE_TOMBSTONE), "tombstone");
    /* On-disk values never change. */
    assert_int_equal(TB_FENCE_APPLIED, 1);
    assert_int_equal(TB_FENCE_REFUSED, 2);
    assert_int_equal(TB_FENCE_TOMBSTONE, 3);
    assert_int_equal(TB_FENCE_REVERSED, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_orderings),
        cmocka_unit_test(test_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
