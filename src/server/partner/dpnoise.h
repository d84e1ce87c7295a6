/*
 * dpnoise.h — exact samplers of the noise differential privacy adds to integer counts: a Bernoulli with
 * probability exp(-num/den), and the discrete Laplace distribution (the two-sided geometric) with a rational
 * scale. Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
 * Algorithms 1 and 2: integer arithmetic and uniform integers from libsodium's randombytes only. No floating
 * point is involved, so the sampled distribution is exactly the one the privacy proof assumes — none of the
 * gaps and rounding patterns Mironov ("On Significance of the Least Significant Bits for Differential
 * Privacy", CCS 2012) showed leak the true value through textbook floating-point Laplace samplers.
 *
 * Generic: includes nothing of the server (reports.c is its user). Thread-safe once sodium_init() has run.
 * The running time depends on the sample drawn (a few dozen random words on average); see docs/privacy.md.
 */
#ifndef POSTERN_DPNOISE_H
#define POSTERN_DPNOISE_H

#include <stdint.h>

/* DPNOISE_MAX is the largest t or s dpnoise_discrete_laplace accepts, and den dpnoise_bernoulli_exp does. */
#define DPNOISE_MAX ((uint64_t)1 << 40)

/* A uniform integer in [0, n), n >= 1 (n == 0 returns 0): libsodium's randombytes with rejection, unbiased. */
uint64_t dpnoise_uniform(uint64_t n);

/*
 * 1 with probability exp(-num/den), else 0. num >= 0; 1 <= den <= DPNOISE_MAX (den out of range: 0).
 * Exact: built from Bernoulli(num/(den*k)) draws, each one comparison of a uniform integer.
 */
int dpnoise_bernoulli_exp(uint64_t num, uint64_t den);

/*
 * A sample Y of the discrete Laplace distribution of scale t/s: P[Y = y] is proportional to exp(-|y| * s/t)
 * for every integer y. Adding it to a count whose L1 sensitivity is D gives epsilon-differential privacy
 * with epsilon = D * s/t. 1 <= t, s <= DPNOISE_MAX (otherwise 0 is returned: callers check their bounds).
 */
int64_t dpnoise_discrete_laplace(uint64_t t, uint64_t s);

#endif
