/*
 * log.h — one-line structured logs to stderr. Callers never pass tokens, passwords or message bodies:
 * request logs carry method, route pattern (not the raw query), status and timing only.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the threshold from a name ("error".."debug"); unknown names keep the current level. */
void log_set_level(const char *name);

/* printf-style line at level, prefixed with an RFC 3339 time and the level. Thread-safe. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
