// SPDX-License-Identifier: MIT
/*
 * An outside program built against the installed libxsave only (its headers
 * and libxsave.pc): reads XSAVE images and says whether each loads on the
 * XCR0 given, as a libvirt hook or a VMM's pre-check would.
 * usage: example XCR0 FILE...   exit: the worst of 0 ok, 2 fixable, 1 incompatible
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave.h>

#if XS_VERSION_NUM < XS_VERSION_AT(0, 1, 0)
#error "libxsave 0.1 or later"
#endif

static int one(const char *path, uint64_t xcr0)
{
	static uint8_t buf[1 << 16];
	struct xs_parse_opts po = { 0 };
	struct xs_diag d = { 0 };
	struct xs_target t = { .xcr0 = xcr0 };
	struct xs_state st;
	struct xs_check c;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 66;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (xs_state_parse(&st, buf, n, &po, &d)) {
		fprintf(stderr, "%s: offset %llu: %s\n", path, (unsigned long long)d.off, d.msg);
		return 65;
	}
	xs_check_state(&st, &t, &c);
	printf("%s: %s (xstate_bv 0x%llx, strip 0x%llx, lose 0x%llx)\n", path,
	       xs_verdict_name(c.verdict), (unsigned long long)st.xstate_bv,
	       (unsigned long long)c.strip, (unsigned long long)c.lose);
	return c.verdict == XS_VERDICT_OK ? 0 : c.verdict == XS_VERDICT_FIXABLE ? 2 : 1;
}

int main(int argc, char **argv)
{
	int worst = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s XCR0 FILE...\n", argv[0]);
		return 64;
	}
	printf("libxsave %s\n", xs_version());
	for (int i = 2; i < argc; i++) {
		int rc = one(argv[i], strtoull(argv[1], NULL, 0));

		if (rc == 1 || (rc == 2 && worst == 0) || rc > 2)
			worst = rc > worst || rc == 1 ? rc : worst;
	}
	return worst;
}
