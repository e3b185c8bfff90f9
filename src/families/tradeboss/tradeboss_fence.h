/*
 * tradeboss_fence.h - the TCC fence of a TradeBoss credit-limit adjustment, as
 * a pure state machine (no I/O; tradeboss.c reads and writes the row).
 *
 * What it is for: deciding, for one (companyId, requestUniqueNo of an
 * execute), what an arriving execute or cancel must do, whichever arrives
 * first (the TCC fence of the Seata design; docs/protocols/tradeboss.md
 * "Idempotency and the fence"). The fence row is the idempotency record (idem
 * table, scope "tb.exec") of the execute's number;
 * its state column holds enum tb_fence_state. It is written in the same
 * transaction (and savepoint) as the effect it describes, so a crash leaves
 * either both or neither.
 *
 * States and the event that moves them (tb_fence_step is the only function
 * that decides a transition; tradeboss.c applies it):
 *
 *   NONE --EXECUTE_APPLIED--> APPLIED --CANCEL--> REVERSED
 *     |  --EXECUTE_REFUSED--> REFUSED
 *     +--CANCEL-------------> TOMBSTONE
 *
 *   EXECUTE on NONE asks the caller to run the execute (TB_FENCE_RUN_EXECUTE);
 *   its outcome is then fed back as EXECUTE_APPLIED or EXECUTE_REFUSED.
 *   Every other (state, event) pair leaves the state as it is and only says
 *   what to answer.
 *
 * Invariants:
 *  1. A state other than NONE is never left except APPLIED -> REVERSED: a
 *     refused or tombstoned number never moves money, a reversed one never
 *     moves again.
 *  2. An execute on a tombstone never runs (anti-hanging); a cancel on NONE
 *     always leaves a tombstone (never-received answer US_0000002).
 *  3. Money moves only on the actions RUN_EXECUTE (then the fence becomes
 *     APPLIED in the same savepoint) and REVERSE (then REVERSED).
 *
 * Thread-safe (pure).
 */
#ifndef FG_TRADEBOSS_FENCE_H
#define FG_TRADEBOSS_FENCE_H

#include <stdbool.h>

/* Stored in idem.state of scope "tb.exec"; values are on disk: never renumber. */
enum tb_fence_state {
    TB_FENCE_NONE = 0, /* no row */
    TB_FENCE_APPLIED = 1,
    TB_FENCE_REFUSED = 2,
    TB_FENCE_TOMBSTONE = 3,
    TB_FENCE_REVERSED = 4,
    TB_FENCE_STATE_COUNT
};

enum tb_fence_event {
    TB_EV_EXECUTE,         /* an execute arrives; same defining content as the row (or no row) */
    TB_EV_EXECUTE_OTHER,   /* an execute arrives with different defining content */
    TB_EV_EXECUTE_APPLIED, /* outcome of RUN_EXECUTE: applied (money moved, or nothing by policy) */
    TB_EV_EXECUTE_REFUSED, /* outcome of RUN_EXECUTE: refused, nothing moved */
    TB_EV_CANCEL,          /* a cancel arrives matching the original (or there is none) */
    TB_EV_CANCEL_MISMATCH, /* a cancel arrives whose amount, user or currency differ */
    TB_EV_COUNT
};

enum tb_fence_action {
    TB_FENCE_INVALID = 0,      /* impossible pair: a programmer error */
    TB_FENCE_RUN_EXECUTE,      /* validate and move money, then feed back the outcome */
    TB_FENCE_RECORD,           /* write the row in next (the outcome of RUN_EXECUTE) */
    TB_FENCE_REPLAY,           /* answer the execute's stored answer */
    TB_FENCE_CONFLICT,         /* same number, different content: refused, nothing moved */
    TB_FENCE_TOMBSTONE_HIT,    /* execute after its cancel: refused, nothing moved */
    TB_FENCE_WRITE_TOMBSTONE,  /* cancel first: write the tombstone, answer US_0000002 */
    TB_FENCE_NEVER_RECEIVED,   /* cancel on a tombstone: answer US_0000002 */
    TB_FENCE_REFUSED_BEFORE,   /* cancel of a refused execute: answer US_0000001 */
    TB_FENCE_REVERSE,          /* cancel of an applied execute: reversing transfer, "0" */
    TB_FENCE_ALREADY_REVERSED, /* cancel of a reversed execute: "0", nothing moves */
    TB_FENCE_MISMATCH,         /* cancel does not match the original: refused */
};

struct tb_fence_step {
    enum tb_fence_action action;
    enum tb_fence_state next;
};

struct tb_fence_step tb_fence_step(enum tb_fence_state state, enum tb_fence_event event);
/* True when money may move in this step (RUN_EXECUTE or REVERSE). */
bool tb_fence_moves_money(enum tb_fence_action action);
const char *tb_fence_state_name(enum tb_fence_state state);

#endif
