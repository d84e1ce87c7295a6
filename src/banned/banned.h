/*
 * banned.h — functions that are easy to misuse, made a compile error.
 *
 * Included last by every source file of the project (after the system headers, whose own declarations
 * it would break). Each banned name is redefined to an identifier that does not exist, so a call fails to
 * compile and the message names the replacement. The idea and the shape come from git's banned.h. It has a
 * folder of its own because every part includes it, the CLI too, which sees no other internal header
 * (the Makefile's INC_* paths). Includes nothing.
 */
#ifndef POSTERN_BANNED_H
#define POSTERN_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_see_banned_h

#undef strcpy
#define strcpy(x, y) BANNED(strcpy) /* use snprintf or memcpy with a checked length */
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf) /* use snprintf and check the result */
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok) /* not reentrant */
#undef atoi
#define atoi(x) BANNED(atoi) /* no error reporting: use strnum_parse_i64 */
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef gmtime
#define gmtime(t) BANNED(gmtime) /* not thread-safe: use gmtime_r */
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef gets
#define gets(x) BANNED(gets)
#undef rand
#define rand() BANNED(rand) /* use randombytes_buf */

#endif
