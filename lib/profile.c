// SPDX-License-Identifier: MIT
/*
 * Target profiles: see include/xsave/profile.h.  Read with jansson directly:
 * besides lib/qemu_vmdesc.c (a stream's vmdesc), the one jansson user in libxsave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <xsave/profile.h>

bool xs_profile_is_json(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')
			continue;
		return buf[i] == '{';
	}
	return false;
}

static int hex_u64(const json_t *v, uint64_t *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s || strncmp(s, "0x", 2) || !s[2])
		return -1;
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	return errno || *end ? -1 : 0;
}

/* Everything but the JSON syntax: @root is an object or not. */
static int fields(const json_t *root, struct xs_profile *p, struct xs_diag *d)
{
	const json_t *v;
	const char *s;
	uint64_t x;

	if (!json_is_object(root))
		return XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: the top level is not an object");
	v = json_object_get(root, "profile_version");
	if (!json_is_integer(v)) {
		int rc = XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: no \"profile_version\"");

		if (d)
			d->hint = XS_HINT_PROFILE;
		return rc;
	}
	if (json_integer_value(v) != XS_PROFILE_VERSION)
		return XS_FAIL(d, XS_EUNKNOWN, "profile_version %lld; libxsave reads version %d",
			       (long long)json_integer_value(v), XS_PROFILE_VERSION);
	if (hex_u64(json_object_get(json_object_get(root, "target"), "mask"), &p->target))
		return XS_FAIL(d, XS_EFORMAT,
			       "not an xsavectl profile: \"target\".\"mask\" is not a \"0x...\" string");
	v = json_object_get(root, "mxcsr_mask");
	if (v && !json_is_null(v)) {
		if (hex_u64(v, &x) || x > UINT32_MAX)
			return XS_FAIL(d, XS_EFORMAT,
				       "not an xsavectl profile: \"mxcsr_mask\" is not a 32-bit \"0x...\" string");
		p->have_mxcsr_mask = true;
		p->mxcsr_mask = (uint32_t)x;
	}
	s = json_string_value(json_object_get(root, "hostname"));
	if (s) {
		strncpy(p->hostname, s, sizeof(p->hostname) - 1);
		p->hostname[sizeof(p->hostname) - 1] = 0;
	}
	s = json_string_value(json_object_get(root, "record"));
	if (s && !(p->record = strdup(s)))
		return XS_FAIL(d, XS_ENOMEM, "out of memory");
	return 0;
}

int xs_profile_parse(const uint8_t *buf, size_t len, struct xs_profile *p, struct xs_diag *d)
{
	json_error_t err;
	json_t *root;
	int rc;

	memset(p, 0, sizeof(*p));
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return XS_FAIL_AT(d, XS_EFORMAT, (uint64_t)err.position, "JSON error: %s", err.text);
	rc = fields(root, p, d);
	json_decref(root);
	if (rc)
		xs_profile_free(p);
	return rc;
}

void xs_profile_free(struct xs_profile *p)
{
	free(p->record);
	p->record = NULL;
}
