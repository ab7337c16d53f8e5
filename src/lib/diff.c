// SPDX-License-Identifier: MIT
/* Register-by-register comparison of two states: see include/xsave/diff.h. */
#include <stdlib.h>
#include <string.h>

#include <xsave/diff.h>

static bool all_zero(const struct xs_reg *r)
{
	for (unsigned i = 0; i < r->width; i++)
		if (r->v[i])
			return false;
	return true;
}

static bool regs_equal(const struct xs_reg *a, const struct xs_reg *b)
{
	if (!a)
		return all_zero(b);
	if (!b)
		return all_zero(a);
	return a->width == b->width && !memcmp(a->v, b->v, a->width);
}

static int push(struct xs_diff *d, size_t *cap, const char *name, const struct xs_reg *a,
		const struct xs_reg *b)
{
	if (d->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct xs_diff_reg *n = realloc(d->regs, ncap * sizeof(*n));

		if (!n)
			return -XS_ENOMEM;
		d->regs = n;
		*cap = ncap;
	}
	d->regs[d->n++] = (struct xs_diff_reg){ .name = name, .a = a, .b = b };
	return 0;
}

int xs_diff_states(const struct xs_state *a, const struct xs_state *b, uint64_t ignore,
		   struct xs_diff *out)
{
	size_t cap = 0;
	uint64_t differ = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ignored = ignore;
	rc = xs_regs_decode(a, &out->ra);
	if (!rc)
		rc = xs_regs_decode(b, &out->rb);
	for (size_t i = 0; !rc && i < out->ra.n; i++) {
		const struct xs_reg *ra = &out->ra.r[i];
		const struct xs_reg *rb = xs_regset_find(&out->rb, ra->name);

		if (ignore & XS_BIT(ra->comp))
			continue;
		if (!regs_equal(ra, rb)) {
			differ |= XS_BIT(ra->comp);
			rc = push(out, &cap, ra->name, ra, rb);
		}
	}
	for (size_t i = 0; !rc && i < out->rb.n; i++) {
		const struct xs_reg *rb = &out->rb.r[i];

		if ((ignore & XS_BIT(rb->comp)) || xs_regset_find(&out->ra, rb->name))
			continue;
		if (!all_zero(rb)) {
			differ |= XS_BIT(rb->comp);
			rc = push(out, &cap, rb->name, NULL, rb);
		}
	}
	if (rc) {
		xs_diff_free(out);
		return rc;
	}
	out->bv_only = (a->xstate_bv ^ b->xstate_bv) & ~differ & ~ignore;
	return 0;
}

void xs_diff_free(struct xs_diff *d)
{
	xs_regset_free(&d->ra);
	xs_regset_free(&d->rb);
	free(d->regs);
	d->regs = NULL;
	d->n = 0;
}
