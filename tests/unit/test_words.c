// SPDX-License-Identifier: MIT
/*
 * The short list of mask words xs_mask_parse() suggests ("try x87,sse,...", also in --xcr0's
 * help, the README and layout.h, which tests/docsync.sh holds to the message) is derived here
 * from the component table: every user component in bit order, a family of components (a group
 * word of several bits, short of "all") named once in its place.  So is XS_MASK_USER_KNOWN.
 */
#include <string.h>

#include <xsave/internal.h>
#include <xsave/layout.h>

#include "check.h"

/* The user components of the table: named, not supervisor. */
static uint64_t user_components(void)
{
	uint64_t m = 0;

	for (unsigned bit = 0; bit < 64; bit++) {
		const struct xs_comp_info *c = xs_comp_info(bit);

		if (strncmp(c->name, "bit", 3) && !c->supervisor)
			m |= 1ULL << bit;
	}
	return m;
}

/* The group word of several user components, short of all of them, that holds @bit; NULL if none. */
static const char *family(unsigned bit, uint64_t user, uint64_t *mask)
{
	for (unsigned i = 0; xs_mask_word(i); i++) {
		const char *w = xs_mask_word(i);
		struct xs_diag d;
		uint64_t m;

		if (xs_comp_by_name(w, strlen(w)) >= 0 || xs_mask_parse(w, &m, &d))
			continue;
		if ((m & (1ULL << bit)) && (m & (m - 1)) && (m & user) == m && m != user) {
			*mask = m;
			return w;
		}
	}
	return NULL;
}

int main(void)
{
	uint64_t user = user_components(), done = 0, m = 0;
	char want[256] = "", got[256] = "";
	struct xs_diag d;

	CHECK_U64(XS_MASK_USER_KNOWN, user, "XS_MASK_USER_KNOWN: the table's user components");
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *w;

		if (!(user & (1ULL << bit)) || (done & (1ULL << bit)))
			continue;
		w = family(bit, user, &m);
		if (!w) {
			w = xs_comp_info(bit)->name;
			m = 1ULL << bit;
		}
		done |= m;
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", *want ? "," : "", w);
	}
	CHECK(xs_mask_parse("?", &m, &d) != 0, "'?' is not a mask");
	const char *p = strstr(d.msg, "(try "), *q = p ? strstr(p, " or bitN)") : NULL;
	if (p && q)
		snprintf(got, sizeof(got), "%.*s", (int)(q - p - 5), p + 5);
	CHECK(!strcmp(got, want), "the words the message suggests: '%s', derived '%s'", got, want);
	CHECK(xs_mask_parse(want, &m, &d) == 0 && m == user, "they parse, to every user component");
	return t_done("words");
}
