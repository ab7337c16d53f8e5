// SPDX-License-Identifier: MIT
/* Register-by-register comparison of two states: see include/xsave/diff.h. */
#include <stdio.h>
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

/*
 * The value @set's state holds for register @name when its layout lacks the
 * component: ZMMn/YMMn of a state without AVX-512/AVX is its YMMn/XMMn with
 * the upper bits at their init value, zero.  Written to @tmp; NULL when the
 * state has no part of the register.
 */
static const struct xs_reg *equivalent(const struct xs_regset *set, const struct xs_reg *want,
				       struct xs_reg *tmp)
{
	const struct xs_reg *r = xs_regset_find(set, want->name);
	char name[sizeof(want->name)];
	unsigned n;

	if (r)
		return r;
	if (sscanf(want->name, "zmm%u", &n) != 1 && sscanf(want->name, "ymm%u", &n) != 1)
		return NULL;
	snprintf(name, sizeof(name), "ymm%u", n);
	if (want->name[0] == 'y' || !(r = xs_regset_find(set, name))) {
		snprintf(name, sizeof(name), "xmm%u", n);
		r = xs_regset_find(set, name);
	}
	if (!r)
		return NULL;
	*tmp = *want;
	memset(tmp->v, 0, sizeof(tmp->v));
	memcpy(tmp->v, r->v, r->width);
	tmp->stored = r->stored;
	return tmp;
}

/*
 * The components whose stored data the CPU holds after loading @st (the rest
 * load at init): XSTATE_BV, or every located component where XSTATE_BV is not
 * maintained (QEMU TCG).
 */
static uint64_t live_mask(const struct xs_state *st)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < XS_NCOMP; i++)
		if (xs_state_live(st, i))
			m |= XS_BIT(i);
	return m;
}

static int push(struct xs_diff *d, size_t *cap, const char *name, const struct xs_reg *a,
		const struct xs_reg *b, const struct xs_reg *tmp)
{
	if (d->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct xs_diff_reg *n = realloc(d->regs, ncap * sizeof(*n));

		if (!n)
			return -XS_ENOMEM;
		d->regs = n;
		*cap = ncap;
	}
	/* A synthesized side (tmp) is kept in the diff itself. */
	if (tmp && (a == tmp || b == tmp)) {
		struct xs_reg *keep = malloc(sizeof(*keep));

		if (!keep)
			return -XS_ENOMEM;
		*keep = *tmp;
		if (a == tmp)
			a = keep;
		else
			b = keep;
		d->regs[d->n].owned = keep;
	} else {
		d->regs[d->n].owned = NULL;
	}
	d->regs[d->n].name = name;
	d->regs[d->n].a = a;
	d->regs[d->n].b = b;
	d->n++;
	return 0;
}

int xs_diff_states(const struct xs_state *a, const struct xs_state *b, uint64_t ignore,
		   struct xs_diff *out)
{
	size_t cap = 0;
	uint64_t differ = 0;
	struct xs_reg *tmp = malloc(sizeof(*tmp));
	int rc = tmp ? 0 : -XS_ENOMEM;

	memset(out, 0, sizeof(*out));
	out->ignored = ignore;
	if (!rc)
		rc = xs_regs_decode(a, &out->ra);
	if (!rc)
		rc = xs_regs_decode(b, &out->rb);
	for (size_t i = 0; !rc && i < out->ra.n; i++) {
		const struct xs_reg *ra = &out->ra.r[i];
		const struct xs_reg *rb = equivalent(&out->rb, ra, tmp);

		if (ignore & XS_BIT(ra->comp))
			continue;
		if (!regs_equal(ra, rb)) {
			differ |= XS_BIT(ra->comp);
			rc = push(out, &cap, ra->name, ra, rb, tmp);
		}
	}
	for (size_t i = 0; !rc && i < out->rb.n; i++) {
		const struct xs_reg *rb = &out->rb.r[i];
		const struct xs_reg *ra;

		if ((ignore & XS_BIT(rb->comp)) || xs_regset_find(&out->ra, rb->name))
			continue;
		ra = equivalent(&out->ra, rb, tmp);
		if (!regs_equal(ra, rb)) {
			differ |= XS_BIT(rb->comp);
			rc = push(out, &cap, rb->name, ra, rb, tmp);
		}
	}
	free(tmp);
	if (rc) {
		xs_diff_free(out);
		return rc;
	}
	out->bv_only = (live_mask(a) ^ live_mask(b)) & ~differ & ~ignore;
	return 0;
}

void xs_diff_free(struct xs_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->regs[i].owned);
	xs_regset_free(&d->ra);
	xs_regset_free(&d->rb);
	free(d->regs);
	d->regs = NULL;
	d->n = 0;
}
