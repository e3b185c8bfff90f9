/*
 * tradeboss.h - the TradeBoss webhook family (issue 3;
 * docs/protocols/tradeboss.md, docs/DESIGN.md "TradeBoss"): a trading
 * platform asks for a user's balance, spends and returns it as positions open and close, and
 * cancels an adjustment it timed out on (TCC).
 *
 * Endpoints (POST, JSON, under /api/cats-gateway): get-user-amount,
 * external-system-credit-limit-adjustment (execute),
 * cancel-external-system-credit-limit-adjustment (cancel). Every
 * protocol-level answer is HTTP 200 with the vendor envelope
 * {bizCode, code, msg, tm, trace, msgParams, data, ok, fail}; `code` is "0" or
 * one of the US_ codes of the table in tradeboss_codes.c (README "TradeBoss
 * webhooks").
 *
 * Clients: POST /admin/v1/clients with family "tradeboss", keyed by
 * company_id, authenticated by allow-list or HMAC (tradeboss_auth.h).
 *
 * Threading: handlers run on the HTTP threads (auth, parsing, the balance query
 * on api_reader()); execute and cancel run as commands on the engine's writer,
 * where the fence (tradeboss_fence.h) and the money move in one savepoint of
 * one transaction. An answer leaves only after its batch is durable.
 *
 * Failure: a failed commit or an overloaded engine answers US_9000001 with
 * nothing applied; the platform's retry or cancel then finds no fence row.
 */
#ifndef FG_TRADEBOSS_H
#define FG_TRADEBOSS_H

#include "api/family.h"

/* The family's entry in the root's list (api/family.h). */
extern const struct api_family tradeboss_family;

#endif
