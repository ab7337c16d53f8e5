// SPDX-License-Identifier: MIT
/*
 * criu-regs: a process for real CRIU checkpoints in the test suite.  Its
 * threads load known x87, SSE, AVX (and AVX-512, PKRU where this CPU has them)
 * registers with XRSTOR, say so, and spin without touching them; after
 * `criu restore`, SIGUSR1 makes each thread store its registers with XSAVE
 * and compare them with what it loaded.
 *
 *   criu-regs DIR MODE NTHREADS
 *
 * MODE: "all" loads the pattern into every user component of XCR0 it knows
 * (x87, SSE, AVX, AVX-512, PKRU); "avx" into x87, SSE and AVX, and the others'
 * init values (zeros).
 * It forks a daemon (setsid, no file descriptor left open, its working
 * directory DIR), waits until every thread has loaded (DIR/ready.T), prints the
 * daemon's PID and exits.  After SIGUSR1 each thread T writes DIR/result.T:
 * "ok XSTATE 0x..." or the first byte that differs, and the daemon exits 0 when
 * all agree.
 *
 * Thread T's pattern, byte j of component c's area (the legacy area's ST0,
 * ST1 and XMM0-15 count as components 0 and 1):
 *   (c * 29 + j * 7 + 3 + 16 * T) mod 256
 * with FCW 0x037f, FSW 0, abridged FTW 0x03 (ST0 and ST1 valid), MXCSR 0x9fc0.
 * PKRU takes 0x55555550 + T (keys 2..15 denied: the thread touches no such page).
 */
#include <cpuid.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXT 8
#define AREA_MAX 16384
#define USER_KNOWN 0x2e7ull	/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU */
#define PKRU_BIT 9

static volatile int go;
static uint64_t xcr0, load_mask;
static int zero_beyond_avx;	/* "avx": the components past AVX loaded with init values */
static uint32_t comp_off[64], comp_size[64], area_size;

struct thread {
	int t;
	int fd;
	uint8_t in[AREA_MAX] __attribute__((aligned(64)));
	uint8_t out[AREA_MAX] __attribute__((aligned(64)));
};

static struct thread th[MAXT];

static uint8_t pat(unsigned c, unsigned j, int t)
{
	return (uint8_t)(c * 29 + j * 7 + 3 + 16 * t);
}

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void fill(struct thread *p)
{
	uint8_t *a = p->in;
	uint32_t lo = (uint32_t)load_mask, hi = (uint32_t)(load_mask >> 32);

	memset(a, 0, AREA_MAX);
	/* the CPU's own legacy fields first (MXCSR_MASK), then the pattern */
	__asm__ volatile("xsave %0" : "=m"(*(uint8_t(*)[AREA_MAX])a) : "a"(lo), "d"(hi));
	memset(a, 0, 24);
	a[0] = 0x7f, a[1] = 0x03;	/* FCW */
	a[4] = 0x03;			/* abridged FTW: ST0, ST1 */
	a[24] = 0xc0, a[25] = 0x9f, a[26] = 0, a[27] = 0;	/* MXCSR */
	memset(a + 32, 0, 128);
	for (unsigned r = 0; r < 2; r++)
		for (unsigned j = 0; j < 10; j++)
			a[32 + 16 * r + j] = pat(0, 16 * r + j, p->t);
	for (unsigned j = 0; j < 256; j++)
		a[160 + j] = pat(1, j, p->t);
	memset(a + 512, 0, 64);
	memcpy(a + 512, &load_mask, 8);	/* XSTATE_BV; XCOMP_BV 0: the standard form */
	for (unsigned c = 2; c < 64; c++) {
		if (!(load_mask >> c & 1))
			continue;
		if (zero_beyond_avx && c > 2) {
			memset(a + comp_off[c], 0, comp_size[c]);
			continue;
		}
		for (unsigned j = 0; j < comp_size[c]; j++)
			a[comp_off[c] + j] = pat(c, j, p->t);
		if (c == PKRU_BIT) {
			uint32_t v = 0x55555550u + (uint32_t)p->t;

			memset(a + comp_off[c], 0, comp_size[c]);
			memcpy(a + comp_off[c], &v, 4);
		}
	}
}

/* Load, say so, spin until SIGUSR1, store: nothing but this asm between. */
static void hold(struct thread *p)
{
	static const char one = 'R';
	uint32_t lo = (uint32_t)load_mask, hi = (uint32_t)(load_mask >> 32);
	uint32_t slo = (uint32_t)xcr0, shi = (uint32_t)(xcr0 >> 32);
	long fd = p->fd;

	__asm__ volatile(
		"mov %[lo], %%eax\n\t"
		"mov %[hi], %%edx\n\t"
		"xrstor %[in]\n\t"
		"mov $1, %%eax\n\t"		/* write(fd, "R", 1) */
		"mov %[fd], %%rdi\n\t"
		"lea %[one], %%rsi\n\t"
		"mov $1, %%edx\n\t"
		"syscall\n\t"
		"mov $3, %%eax\n\t"		/* close(fd) */
		"mov %[fd], %%rdi\n\t"
		"syscall\n\t"
		"1: pause\n\t"
		"cmpl $0, %[go]\n\t"
		"je 1b\n\t"
		"mov %[slo], %%eax\n\t"
		"mov %[shi], %%edx\n\t"
		"xsave %[out]\n\t"
		: [out] "=m"(*(uint8_t(*)[AREA_MAX])p->out)
		: [in] "m"(*(const uint8_t(*)[AREA_MAX])p->in), [lo] "m"(lo), [hi] "m"(hi),
		  [slo] "m"(slo), [shi] "m"(shi), [fd] "m"(fd), [one] "m"(one), [go] "m"(go)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r11", "memory");
}

/* The first difference between what thread @p loaded and what it stored, or "". */
static void compare(const struct thread *p, char *why, size_t len)
{
	uint64_t bv;

	why[0] = 0;
	for (unsigned j = 0; j < 416; j++) {
		if (j >= 28 && j < 32)
			continue;	/* MXCSR_MASK: the CPU's */
		if (j >= 6 && j < 24)
			continue;	/* FOP, FIP, FDP: no x87 instruction ran */
		if (p->in[j] != p->out[j]) {
			snprintf(why, len, "legacy byte %u: 0x%02x, loaded 0x%02x", j, p->out[j],
				 p->in[j]);
			return;
		}
	}
	memcpy(&bv, p->out + 512, 8);
	for (unsigned c = 2; c < 64; c++) {
		if (!((xcr0 & USER_KNOWN) >> c & 1))
			continue;
		for (unsigned j = 0; j < comp_size[c]; j++) {
			uint8_t want = load_mask >> c & 1 ? p->in[comp_off[c] + j] : 0;
			uint8_t got = bv >> c & 1 ? p->out[comp_off[c] + j] : 0;

			if (c == PKRU_BIT && !(load_mask >> c & 1) && !(bv >> c & 1))
				continue;
			if (want != got) {
				snprintf(why, len, "component %u byte %u: 0x%02x, loaded 0x%02x", c,
					 j, got, want);
				return;
			}
		}
	}
}

static void *run(void *arg)
{
	struct thread *p = arg;
	char name[32], why[128];
	uint64_t bv;
	int fd;

	hold(p);
	compare(p, why, sizeof(why));
	memcpy(&bv, p->out + 512, 8);
	snprintf(name, sizeof(name), "result.%d", p->t);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (why[0])
			dprintf(fd, "FAIL thread %d: %s\n", p->t, why);
		else
			dprintf(fd, "ok thread %d XSTATE_BV 0x%llx\n", p->t, (unsigned long long)bv);
		close(fd);
	}
	return why[0] ? (void *)1 : NULL;
}

static int probe(const char *mode)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;

	__cpuid_count(1, 0, a, b, c, d);
	if (!(c & (1u << 27)))
		return -1;	/* no OSXSAVE */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = lo | (uint64_t)hi << 32;
	__cpuid_count(0xd, 0, a, b, c, d);
	area_size = b;
	if (area_size > AREA_MAX)
		return -1;
	for (unsigned i = 2; i < 64; i++) {
		if (!(xcr0 >> i & 1))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		comp_size[i] = a;
		comp_off[i] = b;
	}
	load_mask = xcr0 & USER_KNOWN;
	zero_beyond_avx = !strcmp(mode, "avx");
	return (load_mask & 0x7) == 0x7 ? 0 : -1;
}

static int daemon_main(int n)
{
	pthread_t tid[MAXT];
	struct sigaction sa = { .sa_handler = on_usr1 };
	int bad = 0;

	sigaction(SIGUSR1, &sa, NULL);
	for (int t = 0; t < n; t++) {
		char name[32];

		th[t].t = t;
		snprintf(name, sizeof(name), "ready.%d", t);
		th[t].fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (th[t].fd < 0)
			return 2;
		fill(&th[t]);
	}
	for (int t = 1; t < n; t++)
		if (pthread_create(&tid[t], NULL, run, &th[t]))
			return 2;
	bad = run(&th[0]) != NULL;
	for (int t = 1; t < n; t++) {
		void *r;

		pthread_join(tid[t], &r);
		bad |= r != NULL;
	}
	return bad;
}

/* Has every thread written its ready byte? */
static int all_ready(int n)
{
	for (int t = 0; t < n; t++) {
		char name[32];
		struct stat st;

		snprintf(name, sizeof(name), "ready.%d", t);
		if (stat(name, &st) || st.st_size != 1)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	int n;
	pid_t pid;

	if (argc != 4 || (strcmp(argv[2], "avx") && strcmp(argv[2], "all"))) {
		fprintf(stderr, "usage: criu-regs DIR avx|all NTHREADS\n");
		return 64;
	}
	n = atoi(argv[3]);
	if (n < 1 || n > MAXT || chdir(argv[1]) || probe(argv[2])) {
		fprintf(stderr, "criu-regs: bad thread count, directory or no XSAVE with AVX\n");
		return 64;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 71;
	if (pid == 0) {
		setsid();
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
		_exit(daemon_main(n));
	}
	for (int i = 0; i < 1000 && !all_ready(n); i++)
		usleep(10000);
	if (!all_ready(n)) {
		fprintf(stderr, "criu-regs: the threads did not load\n");
		kill(pid, SIGKILL);
		return 1;
	}
	printf("%d 0x%llx 0x%llx\n", (int)pid, (unsigned long long)load_mask,
	       (unsigned long long)xcr0);
	return 0;
}
