/*
 * limits.h - every bound fundgate enforces, in one place.
 *
 * Units and bounds come last in the names. Relations between limits are
 * checked at compile time below. Each limit has a test at the limit.
 */
#ifndef FG_LIMITS_H
#define FG_LIMITS_H

#include <assert.h>

/* HTTP transport */
#define FG_HTTP_BODY_BYTES_MAX (64 * 1024)   /* request body */
#define FG_HTTP_HEADER_BYTES_MAX (16 * 1024) /* all request headers together */
#define FG_HTTP_CONNECTION_TIMEOUT_S 30      /* idle; and accept (or answer) to request line */
#define FG_HTTP_REQUEST_TIME_MS_MAX 10000    /* request line to last body byte; bytes or not */
#define FG_HTTP_CONNECTIONS_MAX 4096         /* open connections */
#define FG_HTTP_PER_ADDRESS_MAX 512          /* open connections from one client address */
#define FG_HTTP_PATH_BYTES_MAX 512           /* request path */
#define FG_HTTP_THREADS_MAX 16               /* --threads */
#define FG_HTTP_LIBRARY_LOG_PER_S_MAX 20     /* libmicrohttpd log lines a second; more counted */
#define FG_TRACE_BYTES_MAX 64                /* X-Trace-Id taken from a request */

/* Files and the admin plane (issue 9: longer is refused, never cut) */
#define FG_FILE_PATH_BYTES_MAX 1000  /* --data, --db, --secret-key-file, --to */
#define FG_ADMIN_TOKEN_BYTES_MAX 127 /* --admin-token, FUNDGATE_ADMIN_TOKEN, DIR/admin-token */

/* Rate limits (issue 9.11): token buckets per client and for the admin token */
#define FG_RATELIMIT_PER_S_MAX 1000000         /* rate_limit.per_s */
#define FG_RATELIMIT_BURST_MAX 1000000         /* rate_limit.burst */
#define FG_RATELIMIT_CLIENT_PER_S_DEFAULT 1000 /* a client without rate_limit */
#define FG_RATELIMIT_CLIENT_BURST_DEFAULT 2000
#define FG_RATELIMIT_ADMIN_PER_S_DEFAULT 10000 /* the admin token (--admin-rate-limit) */
#define FG_RATELIMIT_ADMIN_BURST_DEFAULT 20000
#define FG_RATELIMIT_KEYS_MAX (FG_CLIENTS_MAX + 16) /* buckets: every client, the admin */

/* JSON */
#define FG_JSON_DEPTH_MAX 16          /* nesting of objects and arrays */
#define FG_JSON_STRING_BYTES_MAX 4096 /* one string field, unless a field says less */

/* Seams (issue 11): registries fixed at start-up */
#define FG_ERROR_SPACES_MAX 8     /* error spaces of services and families (core/errors.h) */
#define FG_IDEM_INFLIGHT_MAX 4096 /* request ids in the engine, tracked (api/api_idem.h) */

/* Engine */
#define FG_ENGINE_QUEUE_DEPTH_MAX 65536      /* commands waiting for the writer */
#define FG_ENGINE_BATCH_MAX 8190             /* commands in one database transaction */
#define FG_ENGINE_HOLD_EXPIRE_BATCH_MAX 1024 /* expired holds voided per writer turn */
#define FG_ENGINE_JOBS_MAX 8                 /* periodic jobs of the writer (engine.h) */
#define FG_ENGINE_CHECKPOINT_IDLE_MS 1000    /* checkpointer runs at least this often */
#define FG_ENGINE_CHECKPOINT_PAGES 4096      /* log pages that make a commit ask for one */

/* Store */
#define FG_STORE_STMT_CACHE_MAX 256   /* prepared statements cached per connection */
#define FG_STORE_BUSY_TIMEOUT_MS 5000 /* wait for a locked database before EBUSY */
#define FG_STORE_SAVEPOINT_NAME_BYTES_MAX 64
#define FG_STORE_WAL_PAGES_MAX 65536  /* log pages before the writer checkpoints itself */
#define FG_STORE_ARGS_MAX 64          /* arguments of one statement (PostgreSQL backend) */
#define FG_STORE_PG_COLUMNS_MAX 64    /* columns of one result row (PostgreSQL backend) */
#define FG_ENGINE_BATCH_RETRIES_MAX 3 /* re-runs of a batch after a serialization failure */
static_assert(FG_ENGINE_CHECKPOINT_PAGES < FG_STORE_WAL_PAGES_MAX, "the peer goes first");

/* Ledger and identifiers */
#define FG_CURRENCY_CODE_BYTES_MAX 16
#define FG_CURRENCY_DIGITS_MAX 8
#define FG_UUID_BYTES_MAX 64
#define FG_NAME_BYTES_MAX 128
#define FG_REQUEST_ID_BYTES_MAX 128
#define FG_LINKED_TRANSFERS_MAX 16 /* transfers in one linked chain */
#define FG_PAGE_LIMIT_MAX 1000     /* rows in one listing page */
#define FG_PAGE_LIMIT_DEFAULT 100
/* The journal's per-account indexes lead with id >> this (a "bucket" of 2^12
 * transfers), so a commit dirties only the pages of the current bucket instead
 * of one index page per account touched; a listing walks the buckets, at most
 * one probe per index per 4,096 journal rows (docs/PERFORMANCE.md). Changing
 * it needs a migration that rebuilds the two indexes (schema.c, version 3). */
#define FG_JOURNAL_BUCKET_SHIFT 12
/* Writer-side caches (issue 5): entries kept before the cache is emptied. */
#define FG_WRITER_CACHE_CUSTOMERS_MAX 16384
#define FG_WRITER_CACHE_CURRENCIES_MAX 64
#define FG_WRITER_CACHE_ACCOUNTS_MAX 32768
/* Accounts whose totals the writer keeps in memory between flushes (ledger.c);
 * a power of two. When full it is written out and emptied. */
#define FG_WRITER_LIVE_ACCOUNTS_MAX 65536
#define FG_CLIENTS_MAX 1024 /* API clients of all families together (POST /admin/v1/clients) */
#define FG_IDEMPOTENCY_RETENTION_DAYS_MIN 30 /* idempotency records are kept at least this */
#define FG_RESPONSE_BYTES_MAX (64 * 1024)    /* a stored response */
#define FG_BOOTSTRAP_BYTES_MAX (16 * 1024 * 1024)

/* Operator surface (issue 15) */
#define FG_LEDGER_REASON_CHARS_MAX 512             /* reason of a ledger operation, in characters */
#define FG_LEDGER_HOLD_TIMEOUT_S_MAX (366 * 86400) /* a hold's timeout_s */
#define FG_RECENT_SCAN_ROWS_MAX 100000             /* journal rows one "recent" read walks back */
#define FG_CONFIG_BYTES_MAX (64 * 1024)            /* the --config file */
#define FG_TLS_PEM_BYTES_MAX (64 * 1024)           /* --tls-cert and --tls-key files */

/* TradeBoss webhooks (docs/protocols/tradeboss.md) */
/* Lengths the vendor states, in characters (UTF-8 code points, issue 10). */
#define FG_TB_USER_NAME_CHARS_MAX 48       /* userName */
#define FG_TB_REQUEST_NO_CHARS_MAX 48      /* requestUniqueNo, reverseRequestUniqueNo */
#define FG_TB_REMARK_CHARS_MAX 200         /* cancelRemark, metadata */
#define FG_TB_LOG_TEXT_CHARS_MAX 200       /* descriptive text quoted in a log line */
#define FG_TB_TIMESTAMP_WINDOW_S_MAX 86400 /* a client's timestamp_window_s */
#define FG_TB_TRACE_BYTES_MAX 128          /* the `trace` header echoed in the envelope */
#define FG_TB_ALLOW_CIDRS_MAX 32           /* CIDRs of an allow-listed client */
#define FG_TB_SECRET_BYTES_MIN 16          /* HMAC secret of a signing client */
#define FG_TB_SECRET_BYTES_MAX 256
#define FG_TB_SKEW_MS_MAX (5 * 60 * 1000) /* the X-Signature t vs our clock */
#define FG_TB_CLIENT_CACHE_MAX 64         /* parsed client configs kept per process */

/* Funds family: withdrawal orders v2 (issue 4) */
#define FG_JWT_BYTES_MAX 4096      /* an X-Auth-Token */
#define FG_JWT_SECRET_BYTES_MIN 16 /* an app's HS256 secret */
#define FG_JWT_SECRET_BYTES_MAX 256
#define FG_JWT_CLOCK_SKEW_S 300        /* an iat this far in the future is tolerated */
#define FG_JWT_MAX_AGE_S_DEFAULT 86400 /* token_max_age_s unless the app says */
#define FG_JWT_MAX_AGE_S_MAX (30 * 86400)
#define FG_WD_REASON_CHARS_MAX 512 /* reject and appeal reasons, in characters */
#define FG_WD_TEXT_CHARS_MAX 256   /* bank_address_details, bank_mark, in characters (issue 16) */
#define FG_WD_FIELD_BYTES_MAX 256  /* a digital currency's address */
#define FG_OMNIBUS_ID_BYTES_MAX 64 /* a customer's omnibus_account_id */
#define FG_WD_HOLIDAYS_PER_REQUEST_MAX 400   /* dates in one POST .../holidays */
#define FG_WD_HOLIDAYS_PER_CURRENCY_MAX 4000 /* dates kept per currency calendar */
#define FG_WD_SETTLEMENT_DAYS_MAX 30         /* T+n */
#define FG_WD_VALUE_DAY_SCAN_DAYS_MAX 400    /* days walked to find a value day */
#define FG_WD_COOLDOWN_S_MAX (7 * 86400)
#define FG_WD_APPEAL_DAYS_MAX 365
#define FG_WD_LIST_LIMIT_DEFAULT 20 /* orders in one /order/v2/list page */
#define FG_WD_LIST_LIMIT_MAX 100
#define FG_WD_ROLES_MAX 8 /* roles of one operator */

/* Signatures (core/sig.h, issue 12) */
#define FG_SIG_RSA_BITS_MIN 2048 /* RSA keys taken for SHA256withRSA */
#define FG_SIG_RSA_BITS_MAX 8192
#define FG_SIG_PEM_BYTES_MAX 16384 /* one PEM key */

/* FX core (services/fx.h, issue 12) */
#define FG_FX_RATE_DIGITS_MAX 18               /* significant digits and decimal places of a rate */
#define FG_FX_RATE_MAX_AGE_S_MAX (366 * 86400) /* a rate's max_age_s */
#define FG_FX_SOURCE_BYTES_MAX 64              /* a rate's source */
#define FG_FX_RATES_CSV_ROWS_MAX 4096          /* rows of one CSV load */
#define FG_FX_RATES_CSV_LINE_BYTES_MAX 256     /* one CSV line */
#define FG_FX_MARKUP_BP_MAX 1000               /* a client's markup_bp */
#define FG_FX_QUOTE_TTL_MS_MAX (3600 * 1000)   /* a family's quote lifetime */
#define FG_FX_SPOT_DAYS 2                      /* SPOT: T+2 business days */
#define FG_FX_FORWARD_DAYS_MAX 366             /* a forward's value date, days ahead */
#define FG_FX_SETTLE_BATCH_MAX 256             /* exchanges one sweep settles */
#define FG_FX_SETTLE_INTERVAL_MS 1000          /* the sweep's period on a running server */
#define FG_FX_ORDER_ID_BYTES_MAX 64            /* a partner's order id */
#define FG_FX_REFERENCE_CHARS_MAX 256          /* descriptive text kept with an exchange */
#define FG_FX_FAMILIES_MAX 8                   /* families with a settlement hook */
#define FG_FX_POSITION_CURRENCIES_MAX 256      /* currencies in GET /admin/v1/fx/positions */

/* YabandPay FX family (issue 12) */
#define FG_YB_QUOTE_TTL_MS 30000  /* a quote's lock: 30 s (the vendor's) */
#define FG_YB_TIME_SKEW_S 300     /* `time` vs the server clock */
#define FG_YB_USER_BYTES_MAX 64   /* a merchant uid */
#define FG_YB_SECRET_BYTES_MIN 16 /* a merchant's secret_key */
#define FG_YB_SECRET_BYTES_MAX 256
#define FG_YB_REQUEST_ID_BYTES_MAX 64 /* request_id */
#define FG_YB_QUOTE_ID_BYTES_MAX 64   /* quote_id, trade_id as sent */
#define FG_YB_FIELDS_MAX 64           /* members of `data` (the string to sign) */

/* WorldFirst FX family (issue 13) */
#define FG_WF_CLIENT_ID_BYTES_MAX 64          /* client-id: letters, digits and . _ : @ - */
#define FG_WF_CUSTOMER_ID_BYTES_MAX 64        /* customerId (and accessToken) */
#define FG_WF_CUSTOMERS_MAX 256               /* customerIds one client maps to customers */
#define FG_WF_KEYS_MAX 8                      /* public keys (keyVersions) of one client */
#define FG_WF_KEY_VERSION_DIGITS_MAX 9        /* keyVersion: 1 to 9 digits */
#define FG_WF_REQUEST_ID_BYTES_MAX 128        /* exchangeRequestId */
#define FG_WF_QUOTE_ID_BYTES_MAX 64           /* quoteId, dealId as sent */
#define FG_WF_REFERENCE_CHARS_MAX 64          /* exchangeOrderAddition.referenceOrderId */
#define FG_WF_MEMO_CHARS_MAX 256              /* exchangeOrderAddition.exchangeMemo */
#define FG_WF_NOTIFY_URL_BYTES_MAX 1024       /* a client's notify_url */
#define FG_WF_SIGNATURE_HEADER_BYTES_MAX 4096 /* the signature header */
#define FG_WF_REQUEST_TIME_BYTES_MAX 64       /* the request-time header */
#define FG_WF_TIME_WINDOW_S_DEFAULT 300       /* request-time vs the server clock */
#define FG_WF_TIME_WINDOW_S_MAX 86400         /* a client's time_window_s */
#define FG_WF_QUOTE_TTL_S_DEFAULT 30          /* a quote's (and a deal's) lock */
#define FG_WF_QUOTE_TTL_S_MAX 3600            /* a client's quote_ttl_s */
#define FG_WF_SIGNERS 2                       /* threads signing answers of writer commands */

/* Outbox: outgoing notifications (services/outbox.h, issue 13) */
#define FG_OUTBOX_DELIVERIES_MAX 4           /* deliveries at once (worker threads) */
#define FG_OUTBOX_INFLIGHT_MAX 64            /* rows claimed and not yet recorded */
#define FG_OUTBOX_CONNECT_TIMEOUT_MS 5000    /* connecting to a receiver */
#define FG_OUTBOX_TOTAL_TIMEOUT_MS 10000     /* one delivery, connect to last byte */
#define FG_OUTBOX_LEASE_MS 30000             /* a claimed row is due again after this */
#define FG_OUTBOX_POLL_MS 250                /* the dispatcher looks for due rows */
#define FG_OUTBOX_TRIES_MAX 8                /* the first try and 7 retries, then dead */
#define FG_OUTBOX_RESPONSE_BYTES_MAX 4096    /* a receiver's answer read (more: a failed try) */
#define FG_OUTBOX_BODY_BYTES_MAX (64 * 1024) /* one notification */
#define FG_OUTBOX_ERROR_BYTES_MAX 200        /* last_error kept with a row */

static_assert(FG_WD_LIST_LIMIT_DEFAULT <= FG_WD_LIST_LIMIT_MAX, "default page within max");
static_assert(FG_WD_HOLIDAYS_PER_REQUEST_MAX <= FG_WD_HOLIDAYS_PER_CURRENCY_MAX,
              "one request fits a calendar");
static_assert(FG_WD_VALUE_DAY_SCAN_DAYS_MAX > 3 * FG_WD_SETTLEMENT_DAYS_MAX,
              "the scan outlasts the longest settlement over weekends");
static_assert(FG_JWT_SECRET_BYTES_MIN <= FG_JWT_SECRET_BYTES_MAX, "secret bounds");

static_assert(FG_ENGINE_BATCH_MAX <= FG_ENGINE_QUEUE_DEPTH_MAX, "a batch fits in the queue");
static_assert(FG_RATELIMIT_CLIENT_PER_S_DEFAULT <= FG_RATELIMIT_PER_S_MAX &&
                  FG_RATELIMIT_CLIENT_BURST_DEFAULT <= FG_RATELIMIT_BURST_MAX &&
                  FG_RATELIMIT_ADMIN_PER_S_DEFAULT <= FG_RATELIMIT_PER_S_MAX &&
                  FG_RATELIMIT_ADMIN_BURST_DEFAULT <= FG_RATELIMIT_BURST_MAX,
              "default rates within bounds");
static_assert(FG_RATELIMIT_KEYS_MAX > FG_CLIENTS_MAX, "a bucket for every client and the admin");
static_assert(FG_PAGE_LIMIT_DEFAULT <= FG_PAGE_LIMIT_MAX, "default page within max");
static_assert(FG_CURRENCY_DIGITS_MAX < 18, "amounts keep integer digits");
static_assert(FG_TB_SECRET_BYTES_MIN <= FG_TB_SECRET_BYTES_MAX, "secret bounds ordered");
static_assert(FG_HTTP_HEADER_BYTES_MAX >= 4096, "room for ordinary headers");
static_assert(FG_HTTP_PER_ADDRESS_MAX < FG_HTTP_CONNECTIONS_MAX,
              "one address cannot take every connection");
static_assert(FG_HTTP_REQUEST_TIME_MS_MAX < FG_HTTP_CONNECTION_TIMEOUT_S * 1000,
              "a request that keeps sending is cut before an idle connection is");
static_assert(FG_YB_QUOTE_TTL_MS <= FG_FX_QUOTE_TTL_MS_MAX, "YabandPay's lock within bounds");
static_assert(FG_FX_FORWARD_DAYS_MAX + 3 * FG_FX_SPOT_DAYS < FG_WD_VALUE_DAY_SCAN_DAYS_MAX,
              "a value date search outlasts the longest forward");
static_assert(FG_YB_SECRET_BYTES_MIN <= FG_YB_SECRET_BYTES_MAX, "secret bounds ordered");
static_assert(FG_WF_QUOTE_TTL_S_MAX * 1000 <= FG_FX_QUOTE_TTL_MS_MAX,
              "WorldFirst's lock within bounds");
static_assert(FG_WF_REQUEST_ID_BYTES_MAX <= FG_REQUEST_ID_BYTES_MAX,
              "exchangeRequestId fits the core");
static_assert(FG_WF_CLIENT_ID_BYTES_MAX <= FG_NAME_BYTES_MAX,
              "client-id fits the core's client key");
static_assert(FG_OUTBOX_CONNECT_TIMEOUT_MS <= FG_OUTBOX_TOTAL_TIMEOUT_MS &&
                  FG_OUTBOX_TOTAL_TIMEOUT_MS < FG_OUTBOX_LEASE_MS,
              "a claimed row is not due again while its delivery may still run");
static_assert(FG_OUTBOX_DELIVERIES_MAX <= FG_OUTBOX_INFLIGHT_MAX, "each worker can hold a row");

#endif
