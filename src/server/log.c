/* log.c — stderr logging with a level threshold (see log.h). */
#include "log.h"

#include "timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static volatile int log_threshold = LOG_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_set_level(const char *name)
{
	int i;
	for (i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(name, log_names[i]) == 0)
			log_threshold = i;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024], when[TIMEFMT_RFC3339_LEN];
	va_list ap;
	int n;

	if ((int)level > log_threshold)
		return;
	timefmt_rfc3339(timefmt_now_ms(), when, sizeof(when));
	n = snprintf(line, sizeof(line), "%s %s ", when, log_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
