// SPDX-License-Identifier: MIT
/*
 * corepat: a process whose threads hold a known register pattern, for real
 * core dumps (kernel and gdb gcore) in the test suite.
 *
 *   corepat avx|sse crash|hold NTHREADS
 *
 * Thread t (0 is the main thread) loads, like ../../shared/fixtures:
 *   XMM/YMM register i, byte j = (i * 37 + j * 3 + 1 + 16 * t) mod 256
 *   ("sse": XMM only, then VZEROUPPER so the AVX component is in its init state),
 *   MXCSR 0x9fc0, and x87 fninit; fld1; fldpi (ST0 = pi, ST1 = 1.0).
 * Each thread prints "thread T tid N" before loading; after loading it spins
 * without touching those registers.  "crash": once all threads are loaded the
 * main thread dies of SIGSEGV (the kernel writes the core).  "hold": it prints
 * "ready" and spins, for `gdb -p PID -batch -ex gcore`.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXT 16

static volatile int loaded;
static int use_avx;
static uint8_t pattern[MAXT][16][32] __attribute__((aligned(32)));
static const uint32_t mxcsr = 0x9fc0;

static void fill(int t)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 32; j++)
			pattern[t][i][j] = (uint8_t)(i * 37 + j * 3 + 1 + 16 * t);
}

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(3);
}

/* Load the registers of thread t; everything after this point is asm. */
#define LOAD_YMM(p)                                                                        \
	"vmovdqu 0(" p "), %%ymm0\n vmovdqu 32(" p "), %%ymm1\n vmovdqu 64(" p "), %%ymm2\n"   \
	"vmovdqu 96(" p "), %%ymm3\n vmovdqu 128(" p "), %%ymm4\n vmovdqu 160(" p "), %%ymm5\n" \
	"vmovdqu 192(" p "), %%ymm6\n vmovdqu 224(" p "), %%ymm7\n vmovdqu 256(" p "), %%ymm8\n" \
	"vmovdqu 288(" p "), %%ymm9\n vmovdqu 320(" p "), %%ymm10\n"                          \
	"vmovdqu 352(" p "), %%ymm11\n vmovdqu 384(" p "), %%ymm12\n"                         \
	"vmovdqu 416(" p "), %%ymm13\n vmovdqu 448(" p "), %%ymm14\n"                         \
	"vmovdqu 480(" p "), %%ymm15\n"
#define LOAD_XMM(p)                                                                        \
	"movdqu 0(" p "), %%xmm0\n movdqu 32(" p "), %%xmm1\n movdqu 64(" p "), %%xmm2\n"      \
	"movdqu 96(" p "), %%xmm3\n movdqu 128(" p "), %%xmm4\n movdqu 160(" p "), %%xmm5\n"   \
	"movdqu 192(" p "), %%xmm6\n movdqu 224(" p "), %%xmm7\n movdqu 256(" p "), %%xmm8\n"  \
	"movdqu 288(" p "), %%xmm9\n movdqu 320(" p "), %%xmm10\n movdqu 352(" p "), %%xmm11\n" \
	"movdqu 384(" p "), %%xmm12\n movdqu 416(" p "), %%xmm13\n"                           \
	"movdqu 448(" p "), %%xmm14\n movdqu 480(" p "), %%xmm15\n"
#define LOAD_REST "ldmxcsr (%1)\n fninit\n fld1\n fldpi\n"

/*
 * "sse" on an AVX-512 host: glibc's EVEX string functions leave data in
 * ZMM16-31 (argv and environment bytes, seen on Zen 4), which no VZEROUPPER
 * clears.  Zero them and the opmask registers so that every component but
 * x87/SSE holds its init value.  Only asm follows before the pattern loads.
 */
static void clear_avx512(void)
{
	unsigned lo, hi;

	if (!__builtin_cpu_supports("avx512f"))
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe0) != 0xe0)
		return;
#define Z(n) "vpxord %%zmm" #n ", %%zmm" #n ", %%zmm" #n "\n"
	__asm__ volatile(Z(16) Z(17) Z(18) Z(19) Z(20) Z(21) Z(22) Z(23)
			 Z(24) Z(25) Z(26) Z(27) Z(28) Z(29) Z(30) Z(31)
			 "kxorw %%k0, %%k0, %%k0\n kxorw %%k1, %%k1, %%k1\n kxorw %%k2, %%k2, %%k2\n"
			 "kxorw %%k3, %%k3, %%k3\n kxorw %%k4, %%k4, %%k4\n kxorw %%k5, %%k5, %%k5\n"
			 "kxorw %%k6, %%k6, %%k6\n kxorw %%k7, %%k7, %%k7\n" ::: "memory");
#undef Z
}

/* Load, count this thread as loaded, then spin forever. */
static __attribute__((noreturn)) void hold(int t)
{
	if (!use_avx)
		clear_avx512();
	if (use_avx)
		__asm__ volatile(LOAD_YMM("%0") LOAD_REST "lock incl (%2)\n"
				 "1: pause\n jmp 1b\n"
				 : : "r"(pattern[t]), "r"(&mxcsr), "r"(&loaded) : "memory");
	else
		__asm__ volatile("vzeroupper\n" LOAD_XMM("%0") LOAD_REST "lock incl (%2)\n"
				 "1: pause\n jmp 1b\n"
				 : : "r"(pattern[t]), "r"(&mxcsr), "r"(&loaded) : "memory");
	__builtin_unreachable();
}

static void *thread_main(void *arg)
{
	int t = (int)(intptr_t)arg;
	char line[64];

	snprintf(line, sizeof(line), "thread %d tid %ld\n", t, (long)syscall(SYS_gettid));
	say(line);
	hold(t);
}

int main(int argc, char **argv)
{
	int n, crash;
	char line[64];

	if (argc != 4 || (strcmp(argv[1], "avx") && strcmp(argv[1], "sse")) ||
	    (strcmp(argv[2], "crash") && strcmp(argv[2], "hold")) || (n = atoi(argv[3])) < 1 ||
	    n > MAXT) {
		fprintf(stderr, "usage: corepat avx|sse crash|hold NTHREADS (1..%d)\n", MAXT);
		return 2;
	}
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx")) {
		fprintf(stderr, "corepat: this CPU has no AVX\n");
		return 77;
	}
	use_avx = !strcmp(argv[1], "avx");
	crash = !strcmp(argv[2], "crash");
	for (int t = 0; t < n; t++)
		fill(t);
	for (int t = 1; t < n; t++) {
		pthread_t th;

		if (pthread_create(&th, NULL, thread_main, (void *)(intptr_t)t))
			return 1;
	}
	while (loaded < n - 1)
		usleep(1000);
	snprintf(line, sizeof(line), "thread 0 tid %ld\n", (long)getpid());
	say(line);
	/* The main thread loads last, then crashes or reports and spins. */
	if (!use_avx)
		clear_avx512();
	if (crash) {
		if (use_avx)
			__asm__ volatile(LOAD_YMM("%0") LOAD_REST "movl $0, 0\n"
					 : : "r"(pattern[0]), "r"(&mxcsr) : "memory");
		else
			__asm__ volatile("vzeroupper\n" LOAD_XMM("%0") LOAD_REST "movl $0, 0\n"
					 : : "r"(pattern[0]), "r"(&mxcsr) : "memory");
	} else {
		static const char ready[] = "ready\n";

		/* write(1, "ready\n", 6) by hand: the syscall keeps vector state. */
		if (use_avx)
			__asm__ volatile(LOAD_YMM("%0") LOAD_REST
					 "mov $1, %%eax\n mov $1, %%edi\n mov %2, %%rsi\n mov $6, %%edx\n"
					 "syscall\n 1: pause\n jmp 1b\n"
					 : : "r"(pattern[0]), "r"(&mxcsr), "r"(ready)
					 : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
		else
			__asm__ volatile("vzeroupper\n" LOAD_XMM("%0") LOAD_REST
					 "mov $1, %%eax\n mov $1, %%edi\n mov %2, %%rsi\n mov $6, %%edx\n"
					 "syscall\n 1: pause\n jmp 1b\n"
					 : : "r"(pattern[0]), "r"(&mxcsr), "r"(ready)
					 : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
	}
	return 1;
}
