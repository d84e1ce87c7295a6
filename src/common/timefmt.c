/* timefmt.c — clocks and RFC 3339 formatting (see timefmt.h); uses gmtime_r only. */
#include "timefmt.h"

#include <stdio.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

int64_t timefmt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t timefmt_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int timefmt_rfc3339(int64_t ms, char *out, size_t outlen)
{
	struct tm tm;
	time_t secs;
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (ms < 0 || outlen < TIMEFMT_RFC3339_LEN)
		return -1;
	secs = (time_t)(ms / 1000);
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
