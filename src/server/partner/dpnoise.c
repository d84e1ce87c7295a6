/* dpnoise.c — exact discrete Laplace noise from uniform integers (see dpnoise.h). */
#include "dpnoise.h"

#include <sodium.h>

#include "banned.h" /* last: bans footguns in this file only */

uint64_t dpnoise_uniform(uint64_t n)
{
	uint64_t r, limit;
	if (n <= 1)
		return 0;
	if (n <= UINT32_MAX)
		return randombytes_uniform((uint32_t)n);
	limit = UINT64_MAX - UINT64_MAX % n; /* [0, limit) holds a whole number of copies of [0, n) */
	do
		randombytes_buf(&r, sizeof(r));
	while (r >= limit);
	return r % n;
}

/* Bernoulli(exp(-num/den)) for num <= den: the parity of the first k with a failed Bernoulli(num/(den k)). */
static int bernoulli_exp_unit(uint64_t num, uint64_t den)
{
	uint64_t k = 1;
	/* P[k > j] = g^j / j!, so P[k odd] = sum (-g)^j / j! = exp(-g). The bound on k only keeps den * k from
	 * overflowing; reaching it has probability below 1/(2^23)!. */
	while (k < UINT64_MAX / den && dpnoise_uniform(den * k) < num)
		k++;
	return (int)(k & 1);
}

int dpnoise_bernoulli_exp(uint64_t num, uint64_t den)
{
	uint64_t whole;
	if (den == 0 || den > DPNOISE_MAX)
		return 0;
	/* exp(-(w + f)) = exp(-1)^w * exp(-f): w independent trials of exp(-1), then the fraction */
	for (whole = num / den; whole > 0; whole--)
		if (!bernoulli_exp_unit(1, 1))
			return 0;
	return bernoulli_exp_unit(num % den, den);
}

int64_t dpnoise_discrete_laplace(uint64_t t, uint64_t s)
{
	if (t == 0 || s == 0 || t > DPNOISE_MAX || s > DPNOISE_MAX)
		return 0;
	for (;;) {
		uint64_t u = dpnoise_uniform(t), v = 0, y;
		int negative;
		/* u with weight exp(-u/t): the fractional part of an exponential of scale t, on the grid 1/t */
		if (!dpnoise_bernoulli_exp(u, t))
			continue;
		/* v geometric with P[v] = (1 - 1/e) e^-v: the whole part; x = u + t v is geometric of scale t */
		while (v < ((uint64_t)1 << 20) && dpnoise_bernoulli_exp(1, 1))
			v++;
		y = (u + t * v) / s; /* geometric with P[y] proportional to exp(-y s/t) */
		negative = (int)dpnoise_uniform(2);
		if (negative && y == 0)
			continue; /* 0 would otherwise come out twice as often as it should */
		return negative ? -(int64_t)y : (int64_t)y;
	}
}
