// SPDX-License-Identifier: MIT
/*
 * The CLI's file readers on one input, as `xsavectl inspect` and `filter`
 * use them: sniffing, gzip (inflate straight from the file), raw images, ELF
 * cores (libelf), QEMU streams in their containers (mmap window, gzip,
 * libvirt), and writing the filtered copy of a core or stream.  FUZZ_READER
 * picks one: image, core, stream, or all (default).
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/cmd.h"
#include "../../src/core.h"
#include "../../src/stream.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_common c = { .thread = -1, .vcpu = -1 };
	char path[64];
	struct input in;
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	xs_layout_builtin(XS_VENDOR_INTEL, &c.host);
	c.have_host = true;
	if (!input_load(&c, path, &in)) {
		/* Write the (unchanged) copy, as filter does, to /dev/null's directory twin. */
		if (in.stream)
			(void)stream_write(in.stream, "-");
		else if (in.core)
			(void)core_write(in.core, "-");
		input_free(&in);
	}
	close(fd);
	return 0;
}
