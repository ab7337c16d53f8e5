/* SPDX-License-Identifier: MIT */
/* Minimal TAP assertions for the unit tests; each test ends with "N passed, M failed". */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int t_run, t_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = !!(cond);                                        \
		t_run++;                                                   \
		if (!ok_)                                                  \
			t_failed++;                                        \
		printf("%sok %d - ", ok_ ? "" : "not ", t_run);            \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
	} while (0)

#define CHECK_U64(got, want, what)                                                   \
	do {                                                                         \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                \
		CHECK(g_ == w_, "%s: got 0x%" PRIx64 ", want 0x%" PRIx64, what, g_, w_); \
	} while (0)

static inline int t_done(const char *name)
{
	printf("1..%d\n# %s: %d passed, %d failed\n", t_run, name, t_run - t_failed, t_failed);
	return t_failed ? 1 : 0;
}

/* Store the @n low bytes of @v at @buf + @off, little-endian. */
static inline void t_put_le(uint8_t *buf, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* Read a test data file (tests/data/NAME) into a malloc'ed buffer. */
static inline unsigned char *t_load(const char *name, size_t *len)
{
	char path[512];
	const char *dir = getenv("TEST_DATA");
	FILE *f;
	unsigned char *buf;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	f = fopen(path, "rb");
	if (!f) {
		printf("Bail out! cannot open %s\n", path);
		exit(2);
	}
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

#endif
