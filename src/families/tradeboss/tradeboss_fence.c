/* tradeboss_fence.c - the TCC fence state machine; see tradeboss_fence.h. */
#include "families/tradeboss/tradeboss_fence.h"

#include <stddef.h>

#define S(a, n)                                                                                    \
    {                                                                                              \
        TB_FENCE_##a, TB_FENCE_##n                                                                 \
    }
#define BAD                                                                                        \
    {                                                                                              \
        TB_FENCE_INVALID, TB_FENCE_NONE                                                            \
    }

/* [state][event]: the whole machine in one table, so every pair is decided here. */
static const struct tb_fence_step steps[TB_FENCE_STATE_COUNT][TB_EV_COUNT] = {
    [TB_FENCE_NONE] =
        {
            [TB_EV_EXECUTE] = S(RUN_EXECUTE, NONE),
            [TB_EV_EXECUTE_OTHER] = BAD, /* no row: nothing to differ from */
            [TB_EV_EXECUTE_APPLIED] = S(RECORD, APPLIED),
            [TB_EV_EXECUTE_REFUSED] = S(RECORD, REFUSED),
            [TB_EV_CANCEL] = S(WRITE_TOMBSTONE, TOMBSTONE),
            [TB_EV_CANCEL_MISMATCH] = S(WRITE_TOMBSTONE, TOMBSTONE), /* no original to compare */
        },
    [TB_FENCE_APPLIED] =
        {
            [TB_EV_EXECUTE] = S(REPLAY, APPLIED),
            [TB_EV_EXECUTE_OTHER] = S(CONFLICT, APPLIED),
            [TB_EV_EXECUTE_APPLIED] = BAD,
            [TB_EV_EXECUTE_REFUSED] = BAD,
            [TB_EV_CANCEL] = S(REVERSE, REVERSED),
            [TB_EV_CANCEL_MISMATCH] = S(MISMATCH, APPLIED),
        },
    [TB_FENCE_REFUSED] =
        {
            [TB_EV_EXECUTE] = S(REPLAY, REFUSED),
            [TB_EV_EXECUTE_OTHER] = S(CONFLICT, REFUSED),
            [TB_EV_EXECUTE_APPLIED] = BAD,
            [TB_EV_EXECUTE_REFUSED] = BAD,
            [TB_EV_CANCEL] = S(REFUSED_BEFORE, REFUSED),
            [TB_EV_CANCEL_MISMATCH] = S(REFUSED_BEFORE, REFUSED),
        },
    [TB_FENCE_TOMBSTONE] =
        {
            [TB_EV_EXECUTE] = S(TOMBSTONE_HIT, TOMBSTONE),
            [TB_EV_EXECUTE_OTHER] = S(TOMBSTONE_HIT, TOMBSTONE),
            [TB_EV_EXECUTE_APPLIED] = BAD,
            [TB_EV_EXECUTE_REFUSED] = BAD,
            [TB_EV_CANCEL] = S(NEVER_RECEIVED, TOMBSTONE),
            [TB_EV_CANCEL_MISMATCH] = S(NEVER_RECEIVED, TOMBSTONE),
        },
    [TB_FENCE_REVERSED] =
        {
            [TB_EV_EXECUTE] = S(REPLAY, REVERSED),
            [TB_EV_EXECUTE_OTHER] = S(CONFLICT, REVERSED),
            [TB_EV_EXECUTE_APPLIED] = BAD,
            [TB_EV_EXECUTE_REFUSED] = BAD,
            [TB_EV_CANCEL] = S(ALREADY_REVERSED, REVERSED),
            [TB_EV_CANCEL_MISMATCH] = S(MISMATCH, REVERSED),
        },
};

struct tb_fence_step tb_fence_step(enum tb_fence_state state, enum tb_fence_event event)
{
    if ((int)state < 0 || state >= TB_FENCE_STATE_COUNT || (int)event < 0 || event >= TB_EV_COUNT)
        return (struct tb_fence_step)BAD;
    return steps[state][event];
}

bool tb_fence_moves_money(enum tb_fence_action action)
{
    return action == TB_FENCE_RUN_EXECUTE || action == TB_FENCE_REVERSE;
}

const char *tb_fence_state_name(enum tb_fence_state state)
{
    static const char *const names[TB_FENCE_STATE_COUNT] = {
        [TB_FENCE_NONE] = "none",         [TB_FENCE_APPLIED] = "applied",
        [TB_FENCE_REFUSED] = "refused",   [TB_FENCE_TOMBSTONE] = "tombstone",
        [TB_FENCE_REVERSED] = "reversed",
    };
    if ((int)state < 0 || state >= TB_FENCE_STATE_COUNT)
        return "invalid";
    return names[state];
}
