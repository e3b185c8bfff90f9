/*
 * log.h - JSON lines on stderr: {"ts":..,"level":..,"trace":..,"msg":..}.
 *
 * Thread-safe (one write(2) per line). Messages must not contain secrets; the
 * caller formats them, this module escapes them for JSON.
 */
#ifndef FG_LOG_H
#define FG_LOG_H

enum fg_log_level { FG_LOG_DEBUG, FG_LOG_INFO, FG_LOG_WARN, FG_LOG_ERROR };

void fg_log_set_level(enum fg_log_level level);
/* "debug|info|warn|error" -> level; returns -1 if unknown. */
int fg_log_level_parse(const char *s);
/* trace may be NULL. */
void fg_log(enum fg_log_level level, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define fg_debug(trace, ...) fg_log(FG_LOG_DEBUG, trace, __VA_ARGS__)
#define fg_info(trace, ...) fg_log(FG_LOG_INFO, trace, __VA_ARGS__)
#define fg_warn(trace, ...) fg_log(FG_LOG_WARN, trace, __VA_ARGS__)
#define fg_error(trace, ...) fg_log(FG_LOG_ERROR, trace, __VA_ARGS__)

#endif
