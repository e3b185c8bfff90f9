/* log.c - JSON-lines logger; see log.h. */
#include "core/log.h"

#include "core/assert.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_BYTES_MAX 2048

static int log_level = FG_LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void fg_log_set_level(enum fg_log_level level)
{
    __atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

int fg_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

/* Append s to buf as JSON string content; returns new length (stops at cap). */
/* JSON-escape s into buf; a byte that is not part of well-formed UTF-8
 * becomes U+FFFD, so every line is valid JSON whatever a message quotes. */
static size_t escape(char *buf, size_t len, size_t cap, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n && len + 7 < cap;) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = c < 0x80 ? 1 : utf8_seq_len(s + i, n - i);
        if (c == '"' || c == '\\') {
            buf[len++] = '\\';
            buf[len++] = (char)c;
        } else if (c < 0x20) {
            len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
        } else if (seq == 0) {
            memcpy(buf + len, UTF8_REPLACEMENT, 3);
            len += 3;
            seq = 1;
        } else {
            memcpy(buf + len, s + i, seq);
            len += seq;
        }
        i += seq;
    }
    return len;
}

/* {"ts":"2026-11-21T10:00:00.123Z","level":"info" into line; returns its length. */
static size_t line_start(char *line, size_t cap, enum fg_log_level level)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(line, cap, "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
    len += (size_t)snprintf(line + len, cap - len, ".%03ldZ\",\"level\":\"%s\"",
                            ts.tv_nsec / 1000000, level_names[level]);
    return len;
}

void fg_log_access(const char *trace, const char *method, const char *path, int status,
                   int64_t duration_us, const char *peer, const char *client)
{
    char line[LOG_LINE_BYTES_MAX];
    size_t len = line_start(line, sizeof(line), FG_LOG_INFO);
    const char *keys[] = {"trace", "method", "path", "peer", "client"};
    const char *vals[] = {trace, method, path, peer, client};
    len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"msg\":\"access\"");
    for (int i = 0; i < 5; i++) {
        if (!vals[i] || !*vals[i] || len + 32 >= sizeof(line))
            continue;
        len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"%s\":\"", keys[i]);
        len = escape(line, len, sizeof(line) - 80, vals[i]);
        line[len++] = '"';
    }
    len +=
        (size_t)snprintf(line + len, sizeof(line) - len, ",\"status\":%d,\"duration_us\":%lld}\n",
                         status, (long long)duration_us);
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void fg_log(enum fg_log_level level, const char *trace, const char *fmt, ...)
{
    if ((int)level < __atomic_load_n(&log_level, __ATOMIC_RELAXED))
        return;
    char msg[LOG_LINE_BYTES_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    char line[LOG_LINE_BYTES_MAX];
    size_t len = line_start(line, sizeof(line), level);
    if (trace && *trace) {
        len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"trace\":\"");
        len = escape(line, len, sizeof(line) - 32, trace);
        line[len++] = '"';
    }
    len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"msg\":\"");
    len = escape(line, len, sizeof(line) - 4, msg);
    line[len++] = '"';
    line[len++] = '}';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void fg_assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fg_log(FG_LOG_ERROR, NULL, "assertion failed: %s at %s:%d in %s", expr, file, line, func);
    abort();
}
