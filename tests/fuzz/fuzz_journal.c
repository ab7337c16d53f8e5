// SPDX-License-Identifier: MIT
/*
 * The in-place rewrite's journal record (lib/journal.c), versions 1, 2 and 3: what the next
 * run reads back from a journal that a crash, a full disk or another program left.  Each
 * input is parsed as it is, and again with its CRC made right (appended), so that the
 * fuzzer reaches past the CRC, the record's first check; every range or tail it yields must
 * lie inside the record.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <xsave/journal.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inside [buf, buf + len)? */
static int within(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void parse(const uint8_t *buf, size_t len)
{
	struct xs_journal j;
	struct xs_qpatch p;
	struct xs_diag d;

	if (xs_journal_parse(&j, buf, len, &d))
		return;
	if (j.version == 3) {
		if (j.tail.orig_len != j.file_size - j.tail.off ||
		    j.tail.data_len != j.new_size - j.tail.off ||
		    !within(j.tail.orig, j.tail.orig_len, buf, len) ||
		    !within(j.tail.data, j.tail.data_len, buf, len))
			abort();
		return;
	}
	while (!xs_journal_next(&j, &p, &d))
		if (!within(p.orig, p.len, buf, len) || !within(p.data, p.len, buf, len))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 4);
	uint32_t crc;

	if (!buf)
		return 0;
	parse(data, size);
	memcpy(buf, data, size);
	crc = (uint32_t)crc32(0, data, (uInt)size);
	for (int i = 0; i < 4; i++)
		buf[size + (size_t)i] = (uint8_t)(crc >> (24 - 8 * i));
	parse(buf, size + 4);
	free(buf);
	return 0;
}
