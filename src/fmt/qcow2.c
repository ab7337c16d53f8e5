// SPDX-License-Identifier: MIT
/*
 * QEMU's qcow2 images with internal snapshots (HMP savevm, QMP snapshot-save,
 * libvirt's internal snapshots of a running domain).  QEMU's
 * docs/interop/qcow2.txt: a big-endian header (version 2 or 3), a snapshot
 * table (each snapshot's id, name, date, vm state size and its own L1 table),
 * two-level cluster maps (L1 -> L2 -> host cluster; compressed clusters;
 * extended L2 entries with 32 subclusters) and refcounts.  A snapshot's VM
 * state is a QEMU migration stream written at the guest offset past the disk
 * (block/qcow2.h's qcow2_vm_state_offset: the L1 index that the disk size
 * rounds up to, shifted back to bytes) through the snapshot's L1 table.
 *
 * The format: every vCPU of every snapshot with VM state (--snapshot picks
 * one), each stream walked by libxsave through a source that maps its offsets
 * through the snapshot's clusters; writing patches the cpu sections' bytes in
 * their host clusters, only where every cluster touched is a plain one that
 * nothing else references (refcount 1), in place under the journal
 * (sys/journal.c) or into a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include <xsave/rd.h>

#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/qemu_stream.h"
#include "out/out.h"
#include "sys/journal.h"
#include "sys/patchcopy.h"
#include "util.h"

/* The header (qcow2.txt "Header"): offsets of its fields. */
#define Q2_MAGIC "QFI\xfb"
#define Q2_MAGIC_LEN 4
#define Q2_OFF_VERSION 4
#define Q2_OFF_CLUSTER_BITS 20
#define Q2_OFF_SIZE 24
#define Q2_OFF_CRYPT 32
#define Q2_OFF_RT_OFFSET 48
#define Q2_OFF_RT_CLUSTERS 56
#define Q2_OFF_NB_SNAPSHOTS 60
#define Q2_OFF_SNAPSHOTS 64
#define Q2_OFF_INCOMPAT 72
#define Q2_OFF_REFCOUNT_ORDER 96
#define Q2_OFF_HEADER_LEN 100
#define Q2_OFF_COMPRESSION 104
#define Q2_V2_LEN 72u		/* a version 2 header */
#define Q2_V3_LEN 104u		/* a version 3 header without the compression type */
#define Q2_HDR_READ 112u	/* what is read of it */

#define Q2_MIN_CLUSTER_BITS 9	/* QEMU's MIN_CLUSTER_BITS and MAX_CLUSTER_BITS */
#define Q2_MAX_CLUSTER_BITS 21
#define Q2_MIN_EXT_L2_BITS 14	/* extended L2 entries: clusters of 16 KiB at least */
#define Q2_MAX_REFCOUNT_ORDER 6
#define Q2_V2_REFCOUNT_ORDER 4	/* version 2: 16-bit refcounts */
#define Q2_MAX_SNAPSHOTS 65536u
#define Q2_MAX_EXTRA 1024u	/* QCOW_MAX_SNAPSHOT_EXTRA_DATA */
#define Q2_MAX_L1_BYTES (32u << 20)	/* QCOW_MAX_L1_SIZE */
#define Q2_MAX_RT_BYTES (8u << 20)	/* QCOW_MAX_REFTABLE_SIZE */

/* Incompatible feature bits. */
#define Q2_INC_DIRTY (1u << 0)
#define Q2_INC_CORRUPT (1u << 1)
#define Q2_INC_DATA_FILE (1u << 2)
#define Q2_INC_COMPRESSION (1u << 3)
#define Q2_INC_EXT_L2 (1u << 4)
#define Q2_INC_KNOWN 0x1fu
#define Q2_COMP_DEFLATE 0
#define Q2_COMP_ZSTD 1

/* A snapshot table entry: its fixed part, and the extra data's fields. */
#define Q2_SN_L1_OFFSET 0
#define Q2_SN_L1_SIZE 8
#define Q2_SN_ID_SIZE 12
#define Q2_SN_NAME_SIZE 14
#define Q2_SN_DATE_SEC 16
#define Q2_SN_DATE_NSEC 20
#define Q2_SN_VM_CLOCK 24
#define Q2_SN_VM_STATE 32
#define Q2_SN_EXTRA_SIZE 36
#define Q2_SN_FIXED 40u
#define Q2_SNX_VM_STATE 0	/* u64 vm_state_size_large */
#define Q2_SNX_DISK_SIZE 8	/* u64 disk_size */
#define Q2_SN_ALIGN 8u

/* L1 and L2 entries, refcount table entries. */
#define Q2_OFFSET_MASK 0x00fffffffffffe00ull	/* bits 9-55 */
#define Q2_L1_RESERVED 0x7f000000000001ffull	/* bits 0-8, 56-62 */
#define Q2_L2_RESERVED 0x3f000000000001feull	/* bits 1-8, 56-61 (normal clusters) */
#define Q2_OFLAG_COMPRESSED (1ull << 62)
#define Q2_OFLAG_ZERO 1ull
#define Q2_RT_RESERVED 0x1ffull
#define Q2_SUBCLUSTERS 32u
#define Q2_SECTOR 512u
#define Q2_L2E 8u		/* a standard L2 entry; extended: two of them */

#define WINDOW (2u << 20)	/* the stream source's window */
#define TAIL_MAX (16u << 20)	/* how far from the end of a vm state a vmdesc is looked for */

struct qcow2;

struct q2_snap {
	struct qcow2 *q;	/* the image it is in */
	uint64_t at;		/* its table entry's file offset */
	uint64_t l1_off;
	uint32_t l1_size;
	char id[128];
	char *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock;
	uint64_t vm_state;	/* the vm state's size in bytes */
	uint64_t vm_state_at;	/* the file offset of the field it was read from */
	uint64_t disk_size;
	uint64_t vm_off;	/* the guest offset of the vm state */
	uint64_t *l1;		/* its L1 table, once read */
	struct stream *s;	/* its vm state's stream, when read */
};

struct qcow2 {
	const char *path;
	struct fail *fail;	/* why it failed: the caller's, or (nobody asks) none */
	struct fail none;
	int fd;
	struct stat st;		/* the input's (its mode for the output) */
	uint64_t size;		/* the (decompressed) file's size */
	enum codec codec;	/* the whole file's compression (a .gz image) */
	uint32_t version, cluster_bits, refcount_order, header_len, nsnap;
	uint64_t cluster_size, disk_size, incompat, rt_off, snap_off;
	unsigned l2_bits, l2e;	/* L2 entries per table (log2); bytes an entry */
	uint8_t compression;
	uint64_t *rt;		/* the refcount table */
	uint64_t rt_n;
	struct q2_snap *snap;
	uint8_t *l2;		/* the last L2 table read, at l2_at */
	uint64_t l2_at;
	uint8_t *cbuf;		/* the last compressed cluster decompressed, at cbuf_at */
	uint64_t cbuf_at;
};

/* ---- reading the file ---------------------------------------------------- */

/* @n bytes at file offset @off, @what they are (for the message).  0 or an exit code. */
static int q2_pread(struct qcow2 *q, uint64_t off, void *buf, size_t n, const char *what)
{
	ssize_t r;

	if (off > q->size || q->size - off < n)
		return fail_at(q->fail, EXIT_DATAERR, q->path, off, "%s (0x%zx bytes) runs past the "
			       "end of the file (0x%llx bytes)", what, n, (unsigned long long)q->size);
	r = io_pread(q->fd, buf, n, off);
	if (r < 0)
		return fail_at(q->fail, EXIT_NOINPUT, q->path, off, "read error: %s", strerror(errno));
	if ((size_t)r != n)
		return fail_at(q->fail, EXIT_NOINPUT, q->path, off + (uint64_t)r, "the file ends here "
			       "while it is read (cut short meanwhile)");
	return 0;
}

/* The @n-byte (1..8) big-endian number at @off of the @len bytes at @p (0 past them). */
static uint64_t be_at(const uint8_t *p, size_t len, size_t off, unsigned n)
{
	struct xs_rd rd = xs_rd_init(p, len, 0);
	uint8_t b[8];

	return n <= sizeof(b) && xs_rd_copy_at(&rd, off, n, b) ? xs_be_get(b, n) : 0;
}

/* The header's numbers, each checked.  0 or an exit code. */
static int read_header(struct qcow2 *q)
{
	uint8_t h[Q2_HDR_READ] = { 0 };
	size_t need = q->size < Q2_HDR_READ ? (size_t)q->size : Q2_HDR_READ;
	uint32_t crypt;
	int rc = q2_pread(q, 0, h, need, "the qcow2 header");

	if (rc)
		return rc;
	if (need < Q2_V2_LEN)
		return fail_at(q->fail, EXIT_DATAERR, q->path, need, "qcow2 header cut short: the "
			       "file ends after %zu bytes (a header has %u at least)", need, Q2_V2_LEN);
	q->version = (uint32_t)be_at(h, sizeof(h), Q2_OFF_VERSION, 4);
	if (q->version != 2 && q->version != 3)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_VERSION, "qcow2 version %u "
			       "(known: 2 and 3)", q->version);
	q->header_len = q->version == 2 ? Q2_V2_LEN : Q2_V3_LEN;
	if (need < q->header_len)
		return fail_at(q->fail, EXIT_DATAERR, q->path, need, "qcow2 version %u header cut "
			       "short: %zu of its %u bytes", q->version, need, q->header_len);
	q->nsnap = (uint32_t)be_at(h, sizeof(h), Q2_OFF_NB_SNAPSHOTS, 4);
	if (!q->nsnap) {
		q->fail->unrecognised = true;	/* a disk image: nothing to judge */
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_NB_SNAPSHOTS, "a qcow2 disk "
			       "image without internal snapshots: it holds no VM state");
	}
	q->cluster_bits = (uint32_t)be_at(h, sizeof(h), Q2_OFF_CLUSTER_BITS, 4);
	if (q->cluster_bits < Q2_MIN_CLUSTER_BITS || q->cluster_bits > Q2_MAX_CLUSTER_BITS)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_CLUSTER_BITS, "cluster_bits %u "
			       "out of range (%u to %u)", q->cluster_bits, Q2_MIN_CLUSTER_BITS,
			       Q2_MAX_CLUSTER_BITS);
	q->cluster_size = 1ull << q->cluster_bits;
	q->disk_size = be_at(h, sizeof(h), Q2_OFF_SIZE, 8);
	crypt = (uint32_t)be_at(h, sizeof(h), Q2_OFF_CRYPT, 4);
	if (crypt)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_CRYPT, "an encrypted qcow2 image "
			       "(crypt_method %u): its VM state cannot be read", crypt);
	q->rt_off = be_at(h, sizeof(h), Q2_OFF_RT_OFFSET, 8);
	q->rt_n = be_at(h, sizeof(h), Q2_OFF_RT_CLUSTERS, 4) << (q->cluster_bits - 3);
	q->snap_off = be_at(h, sizeof(h), Q2_OFF_SNAPSHOTS, 8);
	q->refcount_order = Q2_V2_REFCOUNT_ORDER;
	if (q->version == 3) {
		q->incompat = be_at(h, sizeof(h), Q2_OFF_INCOMPAT, 8);
		q->refcount_order = (uint32_t)be_at(h, sizeof(h), Q2_OFF_REFCOUNT_ORDER, 4);
		q->header_len = (uint32_t)be_at(h, sizeof(h), Q2_OFF_HEADER_LEN, 4);
		if (need > Q2_OFF_COMPRESSION && q->header_len > Q2_OFF_COMPRESSION)
			q->compression = h[Q2_OFF_COMPRESSION];
	}
	return 0;
}

/* The version 3 fields: features, refcount order, header length, compression type. */
static int check_header(struct qcow2 *q)
{
	if (q->version == 3 && (q->header_len < Q2_V3_LEN || q->header_len > q->cluster_size))
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_HEADER_LEN, "header_length %u "
			       "out of range (%u to the cluster size 0x%llx)", q->header_len, Q2_V3_LEN,
			       (unsigned long long)q->cluster_size);
	if (q->incompat & ~(uint64_t)Q2_INC_KNOWN)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_INCOMPAT, "unknown incompatible "
			       "features 0x%llx", (unsigned long long)(q->incompat & ~(uint64_t)Q2_INC_KNOWN));
	if (q->incompat & Q2_INC_CORRUPT)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_INCOMPAT, "the image is marked "
			       "corrupt (incompatible feature bit 1): repair it with qemu-img check -r");
	if (q->incompat & Q2_INC_DATA_FILE)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_INCOMPAT, "the image keeps its "
			       "data in an external data file (incompatible feature bit 2): not read");
	if (q->refcount_order > Q2_MAX_REFCOUNT_ORDER)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_REFCOUNT_ORDER, "refcount_order "
			       "%u out of range (0 to %u)", q->refcount_order, Q2_MAX_REFCOUNT_ORDER);
	if (q->compression != Q2_COMP_DEFLATE && q->compression != Q2_COMP_ZSTD)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_COMPRESSION, "compression type "
			       "%u (known: 0 deflate, 1 zstd)", q->compression);
	if ((q->incompat & Q2_INC_EXT_L2) && q->cluster_bits < Q2_MIN_EXT_L2_BITS)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_CLUSTER_BITS, "extended L2 "
			       "entries with cluster_bits %u (they need %u at least)", q->cluster_bits,
			       Q2_MIN_EXT_L2_BITS);
	q->l2e = q->incompat & Q2_INC_EXT_L2 ? 2 * Q2_L2E : Q2_L2E;
	q->l2_bits = q->cluster_bits - (q->l2e == Q2_L2E ? 3 : 4);
	return 0;
}

/* Is @off a cluster-aligned offset of a whole cluster inside the file? */
static bool cluster_ok(const struct qcow2 *q, uint64_t off)
{
	return !(off & (q->cluster_size - 1)) && off < q->size && q->size - off >= q->cluster_size;
}

/* The refcount table, its entries checked.  0 or an exit code. */
static int read_refcounts(struct qcow2 *q)
{
	uint8_t *buf;
	int rc;

	if (q->rt_n * 8 > Q2_MAX_RT_BYTES || !q->rt_n)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_RT_CLUSTERS, "refcount table of "
			       "0x%llx bytes (1 cluster to 0x%x bytes)", (unsigned long long)q->rt_n * 8,
			       Q2_MAX_RT_BYTES);
	if (q->rt_off & (q->cluster_size - 1))
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_RT_OFFSET, "refcount table "
			       "offset 0x%llx is not aligned to a cluster", (unsigned long long)q->rt_off);
	buf = xmalloc((size_t)q->rt_n * 8);
	rc = q2_pread(q, q->rt_off, buf, (size_t)q->rt_n * 8, "the refcount table");
	q->rt = xcalloc((size_t)q->rt_n, sizeof(*q->rt));
	for (uint64_t i = 0; !rc && i < q->rt_n; i++) {
		q->rt[i] = be_at(buf, (size_t)q->rt_n * 8, (size_t)i * 8, 8);
		if ((q->rt[i] & Q2_RT_RESERVED) || (q->rt[i] && !cluster_ok(q, q->rt[i])))
			rc = fail_at(q->fail, EXIT_DATAERR, q->path, q->rt_off + i * 8, "refcount "
				     "table entry %llu (0x%llx) is no cluster of the file",
				     (unsigned long long)i, (unsigned long long)q->rt[i]);
	}
	free(buf);
	return rc;
}

/* The refcount of the host cluster holding @host into *@ref.  0 or an exit code. */
static int refcount(struct qcow2 *q, uint64_t host, uint64_t *ref)
{
	uint64_t c = host >> q->cluster_bits, per = (q->cluster_size * 8) >> q->refcount_order;
	uint64_t bit = (c % per) << q->refcount_order, at;
	unsigned width = 1u << q->refcount_order, n = width < 8 ? 1 : width / 8;
	uint8_t b[8];
	int rc;

	*ref = 0;
	if (c / per >= q->rt_n || !q->rt[c / per])
		return 0;
	at = (q->rt[c / per] & Q2_OFFSET_MASK) + bit / 8;
	rc = q2_pread(q, at, b, n, "a refcount block entry");
	if (rc)
		return rc;
	if (width < 8)	/* sub-byte refcounts: the low bits of a byte first */
		*ref = (b[0] >> (bit % 8)) & ((1u << width) - 1);
	else
		*ref = be_at(b, sizeof(b), 0, n);
	return 0;
}

/* The snapshot table entry at @off into @sn; *@next: the entry after it.  0 or an exit code. */
static int read_snapshot(struct qcow2 *q, uint64_t off, struct q2_snap *sn, uint64_t *next)
{
	uint8_t f[Q2_SN_FIXED], x[16] = { 0 };
	uint32_t extra, idn, namen;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "snapshot table entry %u", (unsigned)(sn - q->snap));
	rc = q2_pread(q, off, f, sizeof(f), what);
	if (rc)
		return rc;
	sn->at = off;
	sn->q = q;
	sn->l1_off = be_at(f, sizeof(f), Q2_SN_L1_OFFSET, 8);
	sn->l1_size = (uint32_t)be_at(f, sizeof(f), Q2_SN_L1_SIZE, 4);
	idn = (uint32_t)be_at(f, sizeof(f), Q2_SN_ID_SIZE, 2);
	namen = (uint32_t)be_at(f, sizeof(f), Q2_SN_NAME_SIZE, 2);
	sn->date_sec = (uint32_t)be_at(f, sizeof(f), Q2_SN_DATE_SEC, 4);
	sn->date_nsec = (uint32_t)be_at(f, sizeof(f), Q2_SN_DATE_NSEC, 4);
	sn->vm_clock = be_at(f, sizeof(f), Q2_SN_VM_CLOCK, 8);
	sn->vm_state = be_at(f, sizeof(f), Q2_SN_VM_STATE, 4);
	sn->vm_state_at = off + Q2_SN_VM_STATE;
	sn->disk_size = q->disk_size;	/* QEMU's default where the extra data lacks it */
	extra = (uint32_t)be_at(f, sizeof(f), Q2_SN_EXTRA_SIZE, 4);
	if (extra > Q2_MAX_EXTRA)
		return fail_at(q->fail, EXIT_DATAERR, q->path, off + Q2_SN_EXTRA_SIZE, "%s: extra data "
			       "of %u bytes (at most %u)", what, extra, Q2_MAX_EXTRA);
	rc = q2_pread(q, off + Q2_SN_FIXED, x, extra < sizeof(x) ? extra : sizeof(x), what);
	if (!rc && extra >= Q2_SNX_VM_STATE + 8) {
		sn->vm_state = be_at(x, sizeof(x), Q2_SNX_VM_STATE, 8);
		sn->vm_state_at = off + Q2_SN_FIXED + Q2_SNX_VM_STATE;
	}
	if (!rc && extra >= Q2_SNX_DISK_SIZE + 8)
		sn->disk_size = be_at(x, sizeof(x), Q2_SNX_DISK_SIZE, 8);
	off += Q2_SN_FIXED + extra;
	sn->name = xcalloc(1, namen + 1);
	if (!rc && idn >= sizeof(sn->id))
		rc = fail_at(q->fail, EXIT_DATAERR, q->path, sn->at + Q2_SN_ID_SIZE, "%s: an id of %u "
			     "bytes (at most %zu)", what, idn, sizeof(sn->id) - 1);
	if (!rc)
		rc = q2_pread(q, off, sn->id, idn, what);
	if (!rc)
		rc = q2_pread(q, off + idn, sn->name, namen, what);
	off += idn + namen;
	*next = (off + Q2_SN_ALIGN - 1) & ~(uint64_t)(Q2_SN_ALIGN - 1);
	return rc;
}

/* The snapshot table.  0 or an exit code. */
static int read_snapshots(struct qcow2 *q)
{
	uint64_t off = q->snap_off;
	int rc = 0;

	if (q->nsnap > Q2_MAX_SNAPSHOTS)
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_NB_SNAPSHOTS, "%u snapshots "
			       "(at most %u)", q->nsnap, Q2_MAX_SNAPSHOTS);
	if (q->nsnap && (q->snap_off & (q->cluster_size - 1) || q->snap_off >= q->size))
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_SNAPSHOTS, "snapshot table "
			       "offset 0x%llx is no cluster of the file (0x%llx bytes)",
			       (unsigned long long)q->snap_off, (unsigned long long)q->size);
	q->snap = xcalloc(q->nsnap ? q->nsnap : 1, sizeof(*q->snap));
	for (uint32_t i = 0; !rc && i < q->nsnap; i++)
		rc = read_snapshot(q, off, &q->snap[i], &off);
	return rc;
}

/* ---- mapping a snapshot's guest offsets ---------------------------------- */

enum q2_kind { Q2_DATA, Q2_ZERO, Q2_UNALLOCATED, Q2_COMPRESSED };

/* Where a guest offset lies: its kind, host offset, the bytes the mapping covers from it. */
struct q2_ext {
	enum q2_kind kind;
	uint64_t host;		/* Q2_DATA: the byte; Q2_COMPRESSED: the compressed data */
	uint64_t csize;		/* Q2_COMPRESSED: its bytes */
	uint64_t len;		/* bytes from the guest offset to the (sub)cluster's end */
	uint64_t entry_at;	/* the file offset of the L2 (or L1) entry that says so */
};

/* Read @sn's L1 table, its entries checked.  0 or an exit code. */
static int read_l1(struct qcow2 *q, struct q2_snap *sn)
{
	size_t bytes = (size_t)sn->l1_size * 8;
	uint8_t *buf;
	int rc = 0;

	if (sn->l1_size > Q2_MAX_L1_BYTES / 8)
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->at + Q2_SN_L1_SIZE, "snapshot '%s': "
			       "L1 table of %u entries (at most %u)", sn->name, sn->l1_size,
			       Q2_MAX_L1_BYTES / 8);
	if (sn->l1_off & (q->cluster_size - 1) || sn->l1_off > q->size || q->size - sn->l1_off < bytes)
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->at + Q2_SN_L1_OFFSET, "snapshot "
			       "'%s': L1 table at 0x%llx (%u entries) is not inside the file (0x%llx "
			       "bytes) at a cluster boundary", sn->name, (unsigned long long)sn->l1_off,
			       sn->l1_size, (unsigned long long)q->size);
	buf = xmalloc(bytes ? bytes : 1);
	rc = q2_pread(q, sn->l1_off, buf, bytes, "an L1 table");
	sn->l1 = xcalloc(sn->l1_size ? sn->l1_size : 1, sizeof(*sn->l1));
	for (uint32_t i = 0; !rc && i < sn->l1_size; i++) {
		uint64_t e = be_at(buf, bytes, (size_t)i * 8, 8), l2 = e & Q2_OFFSET_MASK;

		sn->l1[i] = e;
		if ((e & Q2_L1_RESERVED) || (l2 && !cluster_ok(q, l2)))
			rc = fail_at(q->fail, EXIT_DATAERR, q->path, sn->l1_off + i * 8ull, "snapshot "
				     "'%s': L1 entry %u (0x%llx) names no L2 table inside the file",
				     sn->name, i, (unsigned long long)e);
	}
	free(buf);
	return rc;
}

/* An extended L2 entry's subcluster (its bitmap @bm) at @guest into @e.  0 or an exit code. */
static int map_subcluster(struct qcow2 *q, uint64_t entry, uint64_t bm, uint64_t guest,
			  struct q2_ext *e)
{
	uint64_t scsize = q->cluster_size / Q2_SUBCLUSTERS;
	unsigned sc = (unsigned)((guest & (q->cluster_size - 1)) / scsize);
	bool alloc = (bm >> sc) & 1, zero = (bm >> (Q2_SUBCLUSTERS + sc)) & 1;

	e->len = scsize - (guest & (scsize - 1));
	if (alloc && zero)
		return fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at + Q2_L2E, "extended L2 "
			       "entry: subcluster %u both allocated and zero (bitmap 0x%016llx)", sc,
			       (unsigned long long)bm);
	if (alloc && !(entry & Q2_OFFSET_MASK))
		return fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at, "extended L2 entry: "
			       "subcluster %u allocated in no host cluster", sc);
	e->kind = alloc ? Q2_DATA : zero ? Q2_ZERO : Q2_UNALLOCATED;
	e->host = (entry & Q2_OFFSET_MASK) + (guest & (q->cluster_size - 1));
	return 0;
}

/* A compressed cluster's descriptor @entry into @e.  0 or an exit code. */
static int map_compressed(struct qcow2 *q, uint64_t entry, uint64_t bm, struct q2_ext *e)
{
	unsigned shift = 62 - (q->cluster_bits - 8);
	uint64_t host = entry & ((1ull << shift) - 1);
	uint64_t sectors = ((entry >> shift) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

	e->kind = Q2_COMPRESSED;
	e->host = host;
	e->csize = sectors * Q2_SECTOR - (host & (Q2_SECTOR - 1));
	if (q->l2e != Q2_L2E && bm)
		return fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at + Q2_L2E, "extended L2 "
			       "entry of a compressed cluster with a subcluster bitmap 0x%016llx",
			       (unsigned long long)bm);
	if (host >= q->size)
		return fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at, "compressed cluster at "
			       "0x%llx lies past the end of the file (0x%llx bytes)",
			       (unsigned long long)host, (unsigned long long)q->size);
	if (e->csize > q->size - host)
		e->csize = q->size - host;	/* the last one: its last sector may be short */
	return 0;
}

/* Where guest offset @guest of @sn lies.  0 or an exit code. */
static int map(struct qcow2 *q, const struct q2_snap *sn, uint64_t guest, struct q2_ext *e)
{
	uint64_t idx = guest >> (q->cluster_bits + q->l2_bits), l2, entry, bm = 0;
	size_t i = (size_t)((guest >> q->cluster_bits) & ((1ull << q->l2_bits) - 1)) * q->l2e;
	int rc;

	memset(e, 0, sizeof(*e));
	e->len = q->cluster_size - (guest & (q->cluster_size - 1));
	e->kind = Q2_UNALLOCATED;
	if (idx >= sn->l1_size)
		return 0;	/* checked against the vm state's range before */
	e->entry_at = sn->l1_off + idx * 8;
	l2 = sn->l1[idx] & Q2_OFFSET_MASK;
	if (!l2)
		return 0;
	if (!q->l2 || q->l2_at != l2) {
		q->l2 = q->l2 ? q->l2 : xmalloc((size_t)q->cluster_size);
		q->l2_at = 0;
		rc = q2_pread(q, l2, q->l2, (size_t)q->cluster_size, "an L2 table");
		if (rc)
			return rc;
		q->l2_at = l2;
	}
	e->entry_at = l2 + i;
	entry = be_at(q->l2, (size_t)q->cluster_size, i, 8);
	if (q->l2e != Q2_L2E)
		bm = be_at(q->l2, (size_t)q->cluster_size, i + Q2_L2E, 8);
	if (entry & Q2_OFLAG_COMPRESSED)
		return map_compressed(q, entry, bm, e);
	if ((entry & Q2_L2_RESERVED) || ((entry & Q2_OFFSET_MASK) && !cluster_ok(q, entry & Q2_OFFSET_MASK)))
		return fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at, "L2 entry 0x%016llx names "
			       "no cluster inside the file", (unsigned long long)entry);
	if (q->l2e != Q2_L2E)
		return map_subcluster(q, entry, bm, guest, e);
	e->kind = entry & Q2_OFLAG_ZERO ? Q2_ZERO : entry & Q2_OFFSET_MASK ? Q2_DATA : Q2_UNALLOCATED;
	e->host = (entry & Q2_OFFSET_MASK) + (guest & (q->cluster_size - 1));
	return 0;
}

/* Inflate the compressed cluster @e into q->cbuf (a whole cluster).  0 or an exit code. */
static int decompress(struct qcow2 *q, const struct q2_ext *e)
{
	uint8_t *in = xmalloc((size_t)e->csize ? (size_t)e->csize : 1);
	bool ok = false;
	int rc;

	q->cbuf_at = 0;
	q->cbuf = q->cbuf ? q->cbuf : xmalloc((size_t)q->cluster_size);
	rc = q2_pread(q, e->host, in, (size_t)e->csize, "a compressed cluster");
	if (!rc && q->compression == Q2_COMP_DEFLATE) {
		z_stream z = { .next_in = in, .avail_in = (uInt)e->csize, .next_out = q->cbuf,
			       .avail_out = (uInt)q->cluster_size };

		/* Raw deflate (QEMU writes it with a 4 KiB window: the largest reads those too);
		   the cluster filled is the end, whatever padding follows in the last sector. */
		if (inflateInit2(&z, -MAX_WBITS) == Z_OK) {
			int zr = inflate(&z, Z_FINISH);

			ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR) && !z.avail_out;
			inflateEnd(&z);
		}
	} else if (!rc) {
#ifdef HAVE_ZSTD
		/* One frame (QEMU writes it streaming: maybe without its content size); what
		   follows it up to the sector's end is padding. */
		size_t fl = ZSTD_findFrameCompressedSize(in, (size_t)e->csize);
		size_t r = ZSTD_isError(fl) ? fl : ZSTD_decompress(q->cbuf, (size_t)q->cluster_size,
								   in, fl);

		ok = !ZSTD_isError(r) && r == q->cluster_size;
#else
		rc = fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at, "a zstd-compressed cluster: "
			     "this xsavectl was built without libzstd");
#endif
	}
	free(in);
	if (!rc && !ok)
		rc = fail_at(q->fail, EXIT_DATAERR, q->path, e->entry_at, "the compressed cluster at "
			     "0x%llx (0x%llx bytes) does not decompress to a cluster (%s)",
			     (unsigned long long)e->host, (unsigned long long)e->csize,
			     q->compression == Q2_COMP_ZSTD ? "zstd" : "deflate");
	if (!rc)
		q->cbuf_at = e->host;
	return rc;
}

/* @n bytes of @sn's vm state from its offset @off into @buf.  0 or an exit code. */
static int vm_read(struct qcow2 *q, const struct q2_snap *sn, uint64_t off, uint8_t *buf, size_t n)
{
	while (n) {
		struct q2_ext e;
		uint64_t guest = sn->vm_off + off;
		size_t piece;
		int rc = map(q, sn, guest, &e);

		if (rc)
			return rc;
		piece = e.len < n ? (size_t)e.len : n;
		if (e.kind == Q2_UNALLOCATED)
			return fail_at(q->fail, EXIT_DATAERR, q->path, e.entry_at, "snapshot '%s': byte "
				       "0x%llx of its vm state lies in no allocated cluster", sn->name,
				       (unsigned long long)off);
		if (e.kind == Q2_ZERO)
			memset(buf, 0, piece);
		else if (e.kind == Q2_DATA)
			rc = q2_pread(q, e.host, buf, piece, "a vm state cluster");
		else if (q->cbuf_at != e.host || !q->cbuf_at)
			rc = decompress(q, &e);
		if (!rc && e.kind == Q2_COMPRESSED) {
			struct xs_rd rd = xs_rd_init(q->cbuf, (size_t)q->cluster_size, e.host);

			if (!xs_rd_copy_at(&rd, (size_t)(guest & (q->cluster_size - 1)), piece, buf))
				rc = EXIT_SOFTWARE;	/* a piece never crosses its cluster */
		}
		if (rc)
			return rc;
		buf += piece;
		off += piece;
		n -= piece;
	}
	return 0;
}

/* ---- a snapshot's stream --------------------------------------------------- */

/* libxsave's byte source over a snapshot's vm state: a window refilled through the map. */
struct q2_src {
	struct qcow2 *q;
	const struct q2_snap *sn;
	uint8_t *buf;
	uint64_t base;
	size_t len;
};

static const uint8_t *q2_get(void *ctx, uint64_t off, size_t n, size_t *have)
{
	struct q2_src *w = ctx;
	uint64_t end = w->sn->vm_state;
	size_t want;

	if (off > end || end - off < n) {
		*have = off < end ? (size_t)(end - off) : 0;
		return NULL;
	}
	if (!n)
		return (const uint8_t *)"";
	if (w->len && off >= w->base && off + n <= w->base + w->len)
		return w->buf + (off - w->base);
	want = end - off < WINDOW ? (size_t)(end - off) : WINDOW;
	w->buf = w->buf ? w->buf : xmalloc(WINDOW);
	w->base = off;
	w->len = 0;
	if (vm_read(w->q, w->sn, off, w->buf, want)) {
		*have = SIZE_MAX;
		return NULL;
	}
	w->len = want;
	return w->buf;
}

/* The file offset of vm state offset @off of the stream's snapshot (0 where none). */
static uint64_t q2_file_off(const struct stream *s, uint64_t off)
{
	struct q2_snap *sn = s->ctx;
	struct qcow2 *q = sn->q;
	struct q2_ext e;
	struct fail none = { 0 };
	struct fail *keep = q->fail;
	uint64_t at;

	q->fail = &none;	/* mapped already while read: cannot fail now */
	at = map(q, sn, sn->vm_off + off, &e) || e.kind == Q2_ZERO || e.kind == Q2_UNALLOCATED ? 0
												: e.host;
	q->fail = keep;
	return at;
}

/* The vmdesc at the end of @sn's vm state, into *json (NULL: none). */
static int tail_vmdesc(struct qcow2 *q, const struct q2_snap *sn, char **json, size_t *len,
		       uint64_t *at)
{
	*json = NULL;
	for (size_t want = 64u << 10;; want *= 16) {
		size_t n = sn->vm_state < want ? (size_t)sn->vm_state : want, off, jl;
		uint8_t *buf = xmalloc(n ? n : 1);
		int rc = vm_read(q, sn, sn->vm_state - n, buf, n);

		if (!rc && xs_qstream_find_vmdesc(buf, n, &off, &jl)) {
			*json = xmalloc(jl + 1);
			memcpy(*json, buf + off, jl);
			(*json)[jl] = 0;
			*len = jl;
			*at = sn->vm_state - n + off - 5;	/* the 0x06 byte */
		}
		free(buf);
		if (rc || *json || n == sn->vm_state || want >= TAIL_MAX)
			return rc;
	}
}

/* A failure of libxsave at vm state offset d->off of @sn: said at the file offset. */
static int stream_fail(struct qcow2 *q, const struct q2_snap *sn, int rc, struct xs_diag *d)
{
	uint64_t vo = d->off;
	struct q2_ext e;

	if (rc == -XS_EIO)
		return q->fail->code ? q->fail->code : EXIT_NOINPUT;
	fail_diag(q->fail, exit_for_err(rc), q->path, d);
	if (d->has_off && !map(q, sn, sn->vm_off + vo, &e) && e.kind == Q2_DATA) {
		q->fail->off = e.host;
		snprintf(q->fail->off_what, sizeof(q->fail->off_what), " (vm state 0x%llx of "
			 "snapshot %.12s)", (unsigned long long)vo, sn->id);
	} else if (d->has_off) {
		snprintf(q->fail->off_what, sizeof(q->fail->off_what), " in snapshot %.12s's vm state",
			 sn->id);
	}
	return q->fail->code;
}

/* Walk @sn's vm state into sn->s.  0 or an exit code. */
static int read_stream(const struct fmt_opts *c, struct qcow2 *q, struct q2_snap *sn)
{
	struct q2_src w = { .q = q, .sn = sn };
	struct xs_qsrc src = { .get = q2_get, .ctx = &w, .start = 0, .end = sn->vm_state };
	struct xs_qstream *qs = NULL;
	struct xs_diag d = { 0 };
	char why[320] = "", *json = NULL;
	size_t jl = 0;
	uint64_t vat = 0;
	int rc = tail_vmdesc(q, sn, &json, &jl, &vat);

	if (rc)
		return rc;
	if (!json)
		snprintf(why, sizeof(why), "no vmdesc at the end");
	else if (c->verify)
		snprintf(why, sizeof(why), "--verify");
	rc = json && !c->verify ? xs_qstream_parse_devices(&qs, &src, json, jl, vat, why, sizeof(why))
				: 1;
	if (rc == 1)
		rc = xs_qstream_parse(&qs, &src, json, jl, &d);
	else if (!rc)
		why[0] = 0;
	free(json);
	free(w.buf);
	if (rc)
		return stream_fail(q, sn, rc, &d);
	if (!xs_qstream_ncpu(qs)) {
		xs_qstream_free(qs);
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->at, "snapshot '%s': its vm state "
			       "holds no x86 'cpu' section", sn->name);
	}
	sn->s = stream_adopt(q->path, &q->st, qs);
	sn->s->walked = why[0] != 0;
	snprintf(sn->s->why, sizeof(sn->s->why), "%s", why);
	sn->s->ctx = sn;
	sn->s->file_off = q2_file_off;
	return 0;
}

/* Where @sn's vm state lies in the guest, checked against its L1 table.  0 or an exit code. */
static int place_vm_state(struct qcow2 *q, struct q2_snap *sn)
{
	unsigned shift = q->cluster_bits + q->l2_bits;
	uint64_t l1_index = (sn->disk_size >> shift) + !!(sn->disk_size & ((1ull << shift) - 1));

	if (l1_index > Q2_MAX_L1_BYTES / 8)
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->at, "snapshot '%s': disk size "
			       "0x%llx beyond what an L1 table maps", sn->name,
			       (unsigned long long)sn->disk_size);
	sn->vm_off = l1_index << shift;
	if (sn->vm_state > q->size)
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->vm_state_at, "snapshot '%s': vm "
			       "state of 0x%llx bytes, more than the file holds (0x%llx bytes)",
			       sn->name, (unsigned long long)sn->vm_state, (unsigned long long)q->size);
	if (sn->vm_state > ((uint64_t)sn->l1_size << shift) - sn->vm_off ||
	    (uint64_t)sn->l1_size < l1_index)
		return fail_at(q->fail, EXIT_DATAERR, q->path, sn->vm_state_at, "snapshot '%s': vm "
			       "state of 0x%llx bytes at guest offset 0x%llx runs past what its L1 "
			       "table maps (%u entries: 0x%llx bytes)", sn->name,
			       (unsigned long long)sn->vm_state, (unsigned long long)sn->vm_off,
			       sn->l1_size, (unsigned long long)sn->l1_size << shift);
	return 0;
}

/* ---- the format ------------------------------------------------------------ */

static bool q2_sniff(const struct io_src *src)
{
	return src->nmagic >= Q2_MAGIC_LEN && !memcmp(src->magic, Q2_MAGIC, Q2_MAGIC_LEN);
}

static void q2_close(struct qcow2 *q)
{
	if (!q)
		return;
	for (uint32_t i = 0; q->snap && i < q->nsnap; i++) {
		stream_close(q->snap[i].s);
		free(q->snap[i].l1);
		free(q->snap[i].name);
	}
	free(q->snap);
	free(q->rt);
	free(q->l2);
	free(q->cbuf);
	io_close(q->fd);
	free(q);
}

static bool picked(const struct fmt_opts *c, const struct q2_snap *sn)
{
	return !c->snapshot || !strcmp(c->snapshot, sn->id) || !strcmp(c->snapshot, sn->name);
}

/* The snapshots --snapshot picks (every one with vm state without it), read. */
static int read_picked(const struct fmt_opts *c, struct qcow2 *q, unsigned *nstates)
{
	int rc = 0;
	bool any = false;

	*nstates = 0;
	for (uint32_t i = 0; !rc && i < q->nsnap; i++) {
		struct q2_snap *sn = &q->snap[i];

		if (!picked(c, sn) || (c->snapshot && any))
			continue;
		any = true;
		if (!sn->vm_state && c->snapshot)
			return fail_at(q->fail, EXIT_DATAERR, q->path, sn->at, "snapshot '%s' (id %s) "
				       "holds no VM state (a disk-only snapshot)", sn->name, sn->id);
		if (!sn->vm_state)
			continue;
		rc = read_l1(q, sn);
		if (!rc)
			rc = place_vm_state(q, sn);
		if (!rc)
			rc = read_stream(c, q, sn);
		if (!rc)
			*nstates += xs_qstream_ncpu(sn->s->qs);
	}
	if (!rc && c->snapshot && !any)
		return fail_at(q->fail, EXIT_DATAERR, q->path, q->snap_off, "no snapshot '%s' in "
			       "this image (it has %u; `xsavectl inspect` lists them)", c->snapshot,
			       q->nsnap);
	if (!rc && !*nstates) {
		q->fail->unrecognised = true;
		return fail_at(q->fail, EXIT_DATAERR, q->path, Q2_OFF_NB_SNAPSHOTS, "no snapshot of "
			       "this qcow2 image holds VM state (%u snapshots)", q->nsnap);
	}
	return rc;
}

static int q2_bound(void *ctx, int fd, uint64_t have)
{
	(void)ctx;
	(void)fd;
	(void)have;
	return 0;
}

static int q2_open(struct io_src *src, struct qcow2 *q)
{
	char *journal = journal_name(src->path);
	struct stat st;
	int rc = 0;

	if (strcmp(src->path, "-") && !access(journal, F_OK))
		rc = fail_msg(q->fail, EXIT_DATAERR, src->path, "an interrupted 'filter --in-place' "
			      "left '%s': run 'xsavectl filter --in-place' on it again, which rolls "
			      "the file back first", journal);
	free(journal);
	if (!rc && src->rd)
		rc = io_decompress_to_tmp(src, q2_bound, NULL);
	q->fd = src->fd;
	src->fd = -1;
	if (!rc && fstat(q->fd, &st))
		rc = fail_msg(q->fail, EXIT_NOINPUT, q->path, "cannot stat: %s", strerror(errno));
	if (rc)
		return rc;
	q->size = (uint64_t)st.st_size;
	rc = read_header(q);
	if (!rc)
		rc = check_header(q);
	if (!rc)
		rc = read_refcounts(q);
	if (!rc)
		rc = read_snapshots(q);
	return rc;
}

static int q2_load(const struct fmt_opts *c, struct io_src *src, struct input *in,
		   struct fail *why)
{
	struct qcow2 *q = xcalloc(1, sizeof(*q));
	unsigned n = 0;
	int rc;

	q->path = src->path;
	q->fail = why ? why : &q->none;
	q->st = src->st;
	q->codec = src->codec;
	q->fd = -1;
	in->priv = q;
	rc = q2_open(src, q);
	if (!rc)
		rc = read_picked(c, q, &n);
	if (rc)
		return rc;
	in->s = xcalloc(n, sizeof(*in->s));
	for (uint32_t i = 0; !rc && i < q->nsnap; i++)
		if (q->snap[i].s)
			rc = stream_states(c, q->snap[i].s, in, &q->snap[i], why);
	if (!rc && !in->nstates)
		rc = fail_msg(why, EXIT_DATAERR, in->path, "no vCPU %ld in the snapshots read",
			      c->vcpu);
	return rc;
}

static void show_snapshot(struct out *o, const struct q2_snap *sn)
{
	char date[32];
	time_t t = (time_t)sn->date_sec;
	struct tm tm;

	out_obj(o, NULL);
	out_str(o, "id", sn->id);
	out_str(o, "name", sn->name);
	if (gmtime_r(&t, &tm) && strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
		out_str(o, "date", date);
	out_u64(o, "vm_clock_ns", sn->vm_clock);
	out_u64(o, "vm_state_size", sn->vm_state);
	out_u64(o, "disk_size", sn->disk_size);
	out_strf(o, "l1_table_offset", "0x%llx", (unsigned long long)sn->l1_off);
	if (sn->s) {
		out_strf(o, "vm_state_offset", "0x%llx", (unsigned long long)sn->vm_off);
		out_obj(o, "stream");
		stream_show(o, sn->s);
		out_end(o);
	} else {
		out_null(o, "vcpus");
		out_note(o, sn->vm_state ? "(not read: --snapshot picks another)"
					 : "(disk only: no VM state)");
	}
	out_end(o);
}

static void q2_show(struct out *o, const struct input *in)
{
	const struct qcow2 *q = in->priv;

	out_str(o, "compression", codec_name(q->codec));
	out_obj(o, "qcow2");
	out_u64(o, "version", q->version);
	out_u64(o, "cluster_size", q->cluster_size);
	out_u64(o, "disk_size", q->disk_size);
	out_u64(o, "refcount_bits", 1u << q->refcount_order);
	out_bool(o, "extended_l2", q->l2e != Q2_L2E);
	out_str(o, "compression_type", q->compression == Q2_COMP_ZSTD ? "zstd" : "deflate");
	out_bool(o, "dirty", q->incompat & Q2_INC_DIRTY);
	out_u64(o, "snapshots", q->nsnap);
	out_end(o);
	out_arr(o, "snapshots");
	for (uint32_t i = 0; i < q->nsnap; i++)
		show_snapshot(o, &q->snap[i]);
	out_end(o);
}

static const struct q2_snap *state_snap(const struct input_state *s)
{
	return ((const struct stream_vcpu *)s->priv)->box;
}

static void q2_show_label(struct out *o, const struct input_state *s)
{
	const struct q2_snap *sn = state_snap(s);
	const struct xs_qcpu *cpu = xs_qstream_cpu(sn->s->qs,
						   ((const struct stream_vcpu *)s->priv)->cpu);

	out_str(o, "snapshot", sn->name);
	out_str(o, "snapshot_id", sn->id);
	stream_show_label(o, s);
	out_strf(o, "vm_state_offset", "0x%llx", (unsigned long long)xs_qcpu_offset(cpu));
}

static void q2_name_state(char *buf, size_t len, const struct input_state *s)
{
	snprintf(buf, len, " %s/vcpu%ld", state_snap(s)->name, s->id);
}

/*
 * The cpu sections' changed bytes of every snapshot read, as file ranges (allocated in
 * *@out): refused where a range lies in a cluster that is compressed, not allocated, or
 * referenced by more than this snapshot (refcount above 1).  0 or an exit code.
 */
static int file_patches(struct qcow2 *q, struct xs_qpatch **out, unsigned *nout)
{
	size_t cap = 0, n = 0;
	struct xs_qpatch *fp = NULL;
	int rc = 0;

	for (uint32_t i = 0; !rc && i < q->nsnap; i++) {
		struct q2_snap *sn = &q->snap[i];
		unsigned k;
		struct xs_qpatch *p = sn->s ? stream_patches(sn->s, &k) : NULL;

		for (unsigned j = 0; !rc && p && j < k; j++)
			for (uint32_t done = 0; !rc && done < p[j].len;) {
				struct q2_ext e;
				uint64_t ref = 0, vo = p[j].off + done;
				uint32_t piece;

				rc = map(q, sn, sn->vm_off + vo, &e);
				if (!rc && e.kind == Q2_COMPRESSED)
					rc = fail_at(q->fail, EXIT_DATAERR, q->path, e.entry_at, "snapshot "
						     "'%s': the cpu section's bytes at vm state 0x%llx lie "
						     "in a compressed cluster: not rewritten (it would be "
						     "compressed again)", sn->name, (unsigned long long)vo);
				if (!rc && e.kind != Q2_DATA && e.kind != Q2_COMPRESSED)
					rc = fail_at(q->fail, EXIT_DATAERR, q->path, e.entry_at, "snapshot "
						     "'%s': vm state 0x%llx lies in no allocated cluster",
						     sn->name, (unsigned long long)vo);
				if (!rc)
					rc = refcount(q, e.host, &ref);
				if (!rc && ref != 1)
					rc = fail_at(q->fail, EXIT_DATAERR, q->path, e.host, "snapshot "
						     "'%s': the cluster holding vm state 0x%llx has refcount "
						     "%llu (%s): not rewritten", sn->name,
						     (unsigned long long)vo, (unsigned long long)ref,
						     ref ? "shared with the image or another snapshot"
							 : "no cluster in use: the refcounts disagree");
				if (rc)
					break;
				piece = e.len < p[j].len - done ? (uint32_t)e.len : p[j].len - done;
				if (n == cap)
					fp = xrealloc(fp, (cap = cap ? 2 * cap : 16) * sizeof(*fp));
				fp[n++] = (struct xs_qpatch){ .off = e.host, .data = p[j].data + done,
							      .orig = p[j].orig + done, .len = piece };
				done += piece;
			}
		free(p);
	}
	if (rc) {
		free(fp);
		return rc;
	}
	*out = fp;
	*nout = (unsigned)n;
	return 0;
}

/* Carry every state's filter back into its cpu section, then the file ranges.  0 or an exit code. */
static int carry(struct input *in, struct xs_qpatch **p, unsigned *n, struct fail *why)
{
	struct qcow2 *q = in->priv;
	int rc = 0;

	q->fail = why ? why : &q->none;
	for (unsigned i = 0; !rc && i < in->nstates; i++)
		rc = stream_carry(state_snap(&in->s[i])->s, &in->s[i], why);
	return rc ? rc : file_patches(q, p, n);
}

static int q2_write(struct input *in, const char *dest, struct fail *why)
{
	struct qcow2 *q = in->priv;
	struct patches ps = { 0 };
	struct xs_qpatch *p = NULL;
	struct io_out o;
	unsigned n = 0;
	int rc = carry(in, &p, &n, why);

	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++)
		patches_add(&ps, p[i].off, p[i].data, p[i].len);
	rc = io_out_open(dest, q->codec, &q->st, &o, why);
	if (!rc && q->codec == CODEC_NONE && (o.tmp || o.anon) &&
	    (uint64_t)q->st.st_blocks * 512 < q->size)
		rc = patchcopy_sparse(q->fd, q->path, &o, q->size, &ps);	/* holes kept */
	else if (!rc)
		rc = patchcopy(q->fd, q->path, &o, 0, q->size, &ps);
	if (rc)
		io_out_abort(&o);
	else
		rc = io_out_commit(&o);
	patches_free(&ps);
	free(p);
	return rc;
}

/* Rewrite the changed bytes in their clusters, under the journal (uncompressed files). */
static int q2_write_in_place(struct input *in, struct fail *why)
{
	struct qcow2 *q = in->priv;
	struct xs_qpatch *p = NULL;
	unsigned n = 0;
	int rc;

	if (q->codec != CODEC_NONE && in->keep_inode)
		return fail_msg(why, EXIT_CANTCREAT, q->path, "%s: a compressed qcow2 file is only "
				"rewritten whole (a new file), and --keep-inode keeps the file: "
				"nothing written", codec_name(q->codec));
	if (q->codec != CODEC_NONE)
		return q2_write(in, q->path, why);	/* compressed: rewritten whole, atomically */
	rc = carry(in, &p, &n, why);
	if (!rc && n)
		rc = journal_write(q->path, &q->st, p, n, why);
	free(p);
	return rc;
}

static int q2_force_drop(struct input *in, struct input_state *is, uint64_t comps,
			 struct xs_diag *d)
{
	struct stream_vcpu *v = is->priv;

	(void)in;
	return xs_qcpu_drop(xs_qstream_cpu(state_snap(is)->s->qs, v->cpu), comps, v->changes,
			    XS_QCPU_MAX_CHANGES, &v->nchanges, d);
}

static void q2_free(struct input *in)
{
	q2_close(in->priv);
}

const struct format qcow2_format = {
	.name = "qcow2",
	.what = "a qcow2 image",
	.owner = "guest",
	.source = "vcpu",
	.unit = "vCPU",
	.units = "vCPUs",
	.select = "vcpu",
	.select_what = "a vCPU of a QEMU migration stream",
	.every = "vCPU of every snapshot",
	.choose = "--snapshot and --vcpu",
	.needs_seek = true,
	.sniff = q2_sniff,
	.load = q2_load,
	.show = q2_show,
	.show_label = q2_show_label,
	.name_state = q2_name_state,
	.show_changes = stream_show_changes,
	.write = q2_write,
	.write_in_place = q2_write_in_place,
	.recover = NULL,	/* the plain stream's journal_recover() serves every journal */
	.force_drop = q2_force_drop,
	.free = q2_free,
};
