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
#include <xsave/internal.h>

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

bool xs_qemu_version_parse(const char *s, unsigned *v)
{
	unsigned long part[3] = { 0 };
	char *end;

	for (unsigned i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return false;
		part[i] = strtoul(s, &end, 10);
		if (part[i] > 99 || end - s > 2)
			return false;
		s = end;
		if (!*s && i >= 1)
			break;
		if (*s != '.' || i == 2)
			return false;
		s++;
	}
	*v = XS_QEMU_VERSION((unsigned)part[0], (unsigned)part[1], (unsigned)part[2]);
	return *v != 0;
}

/* Copy an optional string member of @obj into @buf ("" when null or absent). */
static int opt_str(const json_t *obj, const char *key, char *buf, size_t len,
		   struct xs_diag *d)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	buf[0] = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!s || strlen(s) >= len)
		return XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: \"%s\" is not a string of "
			       "at most %zu bytes", key, len - 1);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* Version 2: "kernel" {class, release, from} and "qemu" {version}, each may be null. */
static int destination(const json_t *root, struct xs_profile *p, struct xs_diag *d)
{
	const json_t *k = json_object_get(root, "kernel"), *q = json_object_get(root, "qemu");
	char cls[24], ver[24];

	if (!json_is_object(k) || !json_is_object(q))
		return XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: version 2 has no \"kernel\" "
			       "and \"qemu\" objects");
	if (opt_str(k, "class", cls, sizeof(cls), d) ||
	    opt_str(k, "release", p->kernel_release, sizeof(p->kernel_release), d) ||
	    opt_str(k, "from", p->kernel_from, sizeof(p->kernel_from), d) ||
	    opt_str(q, "version", ver, sizeof(ver), d))
		return -XS_EFORMAT;
	if (cls[0] && !xs_dest_kernel_parse(cls, &p->kernel))
		return XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: \"kernel\".\"class\" "
			       "\"%s\" is none of fixed, needs-patch, leaks, pre-5.16, inconclusive, "
			       "unknown", cls);
	if (ver[0] && !xs_qemu_version_parse(ver, &p->qemu_version))
		return XS_FAIL(d, XS_EFORMAT, "not an xsavectl profile: \"qemu\".\"version\" "
			       "\"%s\" is not a version such as 7.2.19", ver);
	return 0;
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
	if (json_integer_value(v) < 1 || json_integer_value(v) > XS_PROFILE_VERSION)
		return XS_FAIL(d, XS_EUNKNOWN, "profile_version %lld; libxsave reads versions 1 to %d",
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
	if (json_integer_value(json_object_get(root, "profile_version")) < 2)
		return 0;
	return destination(root, p, d);
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
