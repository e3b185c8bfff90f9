/*
 * bank.h - the bank workload the multi-node and failover tests share: six
 * customers (n0..n5, TradeBoss users u0..u5 of company 7, 1,000.00 USD each
 * in futures), client threads sending TradeBoss opens (customer -> house) and
 * closes (house -> customer) of random amounts, each to either node and again
 * to the other until one answers it (any answer but "busy"), so every request
 * ends answered exactly once as applied or refused. bank_verify then checks
 * the database through one node: each applied request in the journal
 * exactly once, each refused one not at all, nothing else moved, every
 * balance what the answers make it, and reconcile ok.
 */
#ifndef FG_BANK_H
#define FG_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define BANK_CUSTOMERS 6
#define BANK_EXEC_PATH "/api/cats-gateway/external-system-credit-limit-adjustment"

struct bank;

int64_t bank_now_ms(void);
/* Currency, customers, accounts, deposits and the TradeBoss client. */
void bank_seed(struct fgsrv *s);
/* A TradeBoss adjustment body. */
void bank_tb_body(char *buf, size_t cap, const char *user, const char *op, const char *amount,
                  const char *no);
/* POST a TradeBoss call as company; 0 with the parsed answer, or -1 when no
 * envelope came back. */
int bank_tb_call(const struct fgsrv *s, int company, const char *path, const char *body,
                 struct fgresp *r);
/* Start threads client threads over nodes[0..count) (their base URLs are
 * copied: restart the nodes on the same ports, fgsrv.keep_port). */
struct bank *bank_start(const struct fgsrv *nodes, int count, int threads);
/* Requests answered so far. */
int bank_answered(struct bank *b);
/* Stop the clients; false when a request went unanswered for a minute. */
bool bank_stop(struct bank *b);
/* The checks of the header, through s; then free b. */
void bank_verify(struct bank *b, struct fgsrv *s);

#endif
