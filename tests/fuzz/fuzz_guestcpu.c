// SPDX-License-Identifier: MIT
/*
 * precheck's XML readers (src/guest_cpu.c, libxml2): the input is read as
 * a guest's domain XML or <cpu> element against libvirt 11.3's real CPU map in
 * tests/data, and as the map's x86_features.xml itself.  FUZZ_CPU_MAP names
 * the map (default: tests/data/cpu_map/libvirt-11.3, from the tree's root).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "../../src/guest_cpu.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *map_dir;
static char scratch[] = "/tmp/fuzz-cpumap-XXXXXX";

/* The scratch map goes with the run. */
static void scratch_rm(void)
{
	char feat[128];

	snprintf(feat, sizeof(feat), "%s/x86_features.xml", scratch);
	unlink(feat);
	rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	map_dir = getenv("FUZZ_CPU_MAP");
	if (!map_dir)
		map_dir = "tests/data/cpu_map/libvirt-11.3";
	if (!mkdtemp(scratch))
		abort();
	atexit(scratch_rm);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], feat[128];
	struct cpu_map m = { 0 }, own;
	struct guest_cpu g;
	int fd = fuzz_file(data, size, path, sizeof(path));
	FILE *f;

	if (fd < 0)
		return 0;
	if (!guest_cpu_load(path, map_dir, &m, &g))
		(void)guest_cpu_xcr0(&g, 0x2e7);
	cpu_map_free(&m);
	/* The same bytes as a CPU map's feature file. */
	snprintf(feat, sizeof(feat), "%s/x86_features.xml", scratch);
	f = fopen(feat, "w");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		(void)cpu_map_load(scratch, &own);
		cpu_map_free(&own);
	}
	close(fd);
	return 0;
}
