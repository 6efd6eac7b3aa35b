/*
 * A tiny assertion helper for the unit tests: each failed check prints
 * FILE:LINE and what was compared, the test goes on, and check_summary()
 * (the value main returns) is non-zero if anything failed.
 */
#ifndef PC_TESTS_CHECK_H
#define PC_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_total __attribute__((unused));
static int check_failed __attribute__((unused));

#define CHECK(cond) do {                                                \
	check_total++;                                                  \
	if (!(cond)) {                                                  \
		check_failed++;                                         \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",            \
		    __FILE__, __LINE__, #cond);                         \
	}                                                               \
} while (0)

#define CHECK_EQ_INT(a, b) do {                                         \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	check_total++;                                                  \
	if (check_a_ != check_b_) {                                     \
		check_failed++;                                         \
		fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
		    __FILE__, __LINE__, #a, #b, check_a_, check_b_);    \
	}                                                               \
} while (0)

/* NULL compares equal only to NULL. */
#define CHECK_STREQ(a, b) do {                                          \
	const char *check_a_ = (a), *check_b_ = (b);                    \
	check_total++;                                                  \
	if ((check_a_ == NULL) != (check_b_ == NULL) ||                 \
	    (check_a_ != NULL && strcmp(check_a_, check_b_) != 0)) {    \
		check_failed++;                                         \
		fprintf(stderr, "%s:%d: %s == %s failed:\n"             \
		    "    got      \"%s\"\n    expected \"%s\"\n",       \
		    __FILE__, __LINE__, #a, #b,                         \
		    check_a_ ? check_a_ : "(null)",                     \
		    check_b_ ? check_b_ : "(null)");                    \
	}                                                               \
} while (0)

static inline int __attribute__((unused))
check_summary(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
	return check_failed != 0;
}

#endif
