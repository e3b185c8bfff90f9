/*
 * log.h - JSON lines on stderr: {"ts":..,"level":..,"trace":..,"msg":..}.
 * ts is ISO 8601 in UTC with milliseconds: "2026-11-21T10:00:00.123Z".
 *
 * Thread-safe (one write(2) per line). Messages must not contain secrets; the
 * caller formats them, this module escapes them for JSON.
 */
#ifndef FG_LOG_H
#define FG_LOG_H

#include <stdint.h>

enum fg_log_level { FG_LOG_DEBUG, FG_LOG_INFO, FG_LOG_WARN, FG_LOG_ERROR };

void fg_log_set_level(enum fg_log_level level);
/* "debug|info|warn|error" -> level; returns -1 if unknown. */
int fg_log_level_parse(const char *s);
/* trace may be NULL. */
void fg_log(enum fg_log_level level, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One access-log line (msg "access"): method, path, status, duration_us,
 * trace, peer (the client's address) and client (the API client that
 * authenticated, "family:key", when one did). Written whatever the level. */
void fg_log_access(const char *trace, const char *method, const char *path, int status,
                   int64_t duration_us, const char *peer, const char *client);

#define fg_debug(trace, ...) fg_log(FG_LOG_DEBUG, trace, __VA_ARGS__)
#define fg_info(trace, ...) fg_log(FG_LOG_INFO, trace, __VA_ARGS__)
#define fg_warn(trace, ...) fg_log(FG_LOG_WARN, trace, __VA_ARGS__)
#define fg_error(trace, ...) fg_log(FG_LOG_ERROR, trace, __VA_ARGS__)

#endif
