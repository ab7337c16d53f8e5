/* SPDX-License-Identifier: MIT */
/*
 * xsavectl's test guest: a bare-metal multiboot kernel for QEMU (-kernel).
 * Every vCPU goes to 64-bit mode, enables what XSAVE features CPUID offers,
 * loads the fixture pattern into its registers and halts; when all have done
 * so the boot vCPU writes "READY" to the debug port 0xe9.  The state QEMU
 * then saves is known to the byte:
 *   vector register i, byte j (0..31), on the vCPU with APIC ID k:
 *       (i * 37 + j * 3 + 1 + 64 * k) mod 256     (k = 0: ../shared/fixtures)
 *   MXCSR 0x9fc0; x87: fninit, fld1 fldpi fldl2t fldl2e fldlg2 fldln2 fldz fld1;
 *   PKRU 0x55555554 where CPUID has PKU; XCR0 = every user component CPUID
 *   offers among x87 SSE AVX MPX AVX-512 PKRU AMX.
 * With "fill" in the multiboot command line (-append fill), the boot vCPU first writes
 * pseudo-random data (4 bits a byte) over its RAM above 16 MiB (for large streams).
 */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x00010000		/* load addresses in the header */
	.set APIC_ICR, 0xfee00300
	.set APIC_SVR, 0xfee000f0
	.set TRAMP, 0x8000			/* SIPI vector 0x08 */
	.set FILL_FROM, 0x1000000

/* Flat data segment (GDT 0x10) in every data segment register. */
	.macro DATA_SEGMENTS
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	.endm

	.text
	.code32
	.globl _start
_start:
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, _start, _edata, _end, entry32

entry32:
	cli
	mov %ebx, mbi
	lgdt gdtr
	ljmp $0x08, $1f
1:	DATA_SEGMENTS
	mov $stack_top, %esp
	/* Identity map the low 4 GiB with 2 MiB pages. */
	mov $pdpt + 3, %eax
	mov %eax, pml4
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $pd + 3, %eax
	mov %eax, pdpt(, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 2b
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, pd(, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax
	mov %eax, pd + 4(, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 3b
	/* The other vCPUs start in real mode at TRAMP. */
	mov $tramp_start, %esi
	mov $TRAMP, %edi
	mov $(tramp_end - tramp_start), %ecx
	rep movsb
	/* How many vCPUs: fw_cfg FW_CFG_NB_CPUS (0x05), 16-bit little-endian. */
	mov $0x510, %dx
	mov $0x05, %ax
	outw %ax, %dx
	mov $0x511, %dx
	inb %dx, %al
	mov %al, %bl
	inb %dx, %al
	mov %al, %bh
	movzwl %bx, %ebx
	mov %ebx, ncpus
	cmp $1, %ebx
	jbe 5f
	movl $0x1ff, APIC_SVR
	movl $0x000c4500, APIC_ICR		/* INIT, all but self */
	call delay
	movl $0x000c4600 + (TRAMP >> 12), APIC_ICR	/* SIPI */
	call delay
	movl $0x000c4600 + (TRAMP >> 12), APIC_ICR
5:	mov $1, %ebp				/* the boot vCPU */
	jmp common32

delay:
	mov $100000, %ecx
1:	pause
	loop 1b
	ret

ap32:
	DATA_SEGMENTS
	xor %ebp, %ebp

common32:
	mov %cr4, %eax
	or $0x20, %eax				/* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx			/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax
	mov %eax, %cr0
	ljmp $0x18, $long64

	.code64
long64:
	DATA_SEGMENTS
	mov $1, %eax
	cpuid
	shr $24, %ebx
	mov %ebx, %r15d				/* k = APIC ID */
	mov %ecx, %r13d				/* CPUID.1:ECX */
	test %ebp, %ebp
	jz 1f
	call fill
1:	mov %cr0, %rax
	and $~0xc, %rax				/* EM, TS off */
	or $0x2, %rax				/* MP */
	mov %rax, %cr0
	mov %cr4, %rax
	or $0x600, %rax				/* OSFXSR, OSXMMEXCPT */
	mov %rax, %cr4
	xor %r14d, %r14d
	bt $26, %r13d				/* XSAVE */
	jnc 2f
	mov %cr4, %rax
	bts $18, %rax				/* OSXSAVE */
	mov %rax, %cr4
	mov $0xd, %eax
	xor %ecx, %ecx
	cpuid
	and $0x602ff, %eax
	xor %edx, %edx
	xor %ecx, %ecx
	mov %eax, %r14d
	xsetbv
2:	mov $7, %eax
	xor %ecx, %ecx
	cpuid
	bt $3, %ecx				/* PKU */
	jnc 3f
	mov %cr4, %rax
	bts $22, %rax				/* PKE */
	mov %rax, %cr4
	mov $0x55555554, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
3:	/* The pattern, 16 registers x 32 bytes, at patbuf + 512 * k. */
	mov %r15d, %edi
	shl $9, %edi
	add $patbuf, %rdi
	xor %ecx, %ecx
4:	xor %edx, %edx
5:	imul $37, %ecx, %eax
	lea 1(%rdx, %rdx, 2), %ebx
	add %ebx, %eax
	mov %r15d, %ebx
	shl $6, %ebx
	add %ebx, %eax
	mov %ecx, %ebx
	shl $5, %ebx
	add %edx, %ebx
	mov %al, (%rdi, %rbx)
	inc %edx
	cmp $32, %edx
	jne 5b
	inc %ecx
	cmp $16, %ecx
	jne 4b
	test $4, %r14d				/* AVX enabled */
	jz 6f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu \r * 32(%rdi), %ymm\r
	.endr
	jmp 7f
6:	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu \r * 32(%rdi), %xmm\r
	.endr
7:	ldmxcsr mxcsr_val
	fninit
	fld1
	fldpi
	fldl2t
	fldl2e
	fldlg2
	fldln2
	fldz
	fld1
	lock incl ready
	test %ebp, %ebp
	jz 9f
8:	pause
	mov ready, %eax
	cmp ncpus, %eax
	jb 8b
	mov $msg, %esi
	mov $0xe9, %dx
	mov $(msg_end - msg), %ecx
	rep outsb
9:	cli
	hlt
	jmp 9b

/* "fill" in the multiboot command line: xorshift64 over RAM from 16 MiB up (at most 3 GiB). */
fill:
	mov mbi, %esi
	testl $4, (%rsi)
	jz 9f
	mov 16(%rsi), %esi			/* QEMU: "<kernel path> <-append>" */
0:	cmpb $0, (%rsi)
	je 9f
	cmpl $0x6c6c6966, (%rsi)		/* "fill" */
	je 3f
	inc %rsi
	jmp 0b
3:
	mov $0x510, %dx				/* FW_CFG_RAM_SIZE (0x03) */
	mov $0x03, %ax
	outw %ax, %dx
	mov $0x511, %dx
	xor %ebx, %ebx
	mov $8, %ecx
1:	inb %dx, %al
	shrd $8, %rax, %rbx
	loop 1b
	mov $0xc0000000, %rax
	cmp %rax, %rbx
	cmova %rax, %rbx
	mov $FILL_FROM, %rdi
	mov $0x9e3779b97f4a7c15, %rax
	mov $0x0f0f0f0f0f0f0f0f, %r8		/* 4 random bits a byte: compressible, like RAM */
2:	cmp %rbx, %rdi
	jae 9f
	mov %rax, %rcx
	shl $13, %rcx
	xor %rcx, %rax
	mov %rax, %rcx
	shr $7, %rcx
	xor %rcx, %rax
	mov %rax, %rcx
	shl $17, %rcx
	xor %rcx, %rax
	mov %rax, %rcx
	and %r8, %rcx
	mov %rcx, (%rdi)
	add $8, %rdi
	jmp 2b
9:	ret

/* Real-mode start of the other vCPUs, copied to TRAMP (CS = TRAMP >> 4, IP = 0). */
	.code16
tramp_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tramp_gdtr - tramp_start
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ap32
tramp_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
tramp_end:

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff		/* 0x08: code, 32-bit */
	.quad 0x00cf92000000ffff		/* 0x10: data */
	.quad 0x00af9a000000ffff		/* 0x18: code, 64-bit */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt
mxcsr_val:
	.long 0x9fc0
msg:
	.ascii "READY\n"
msg_end:

	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
patbuf:	.skip 512 * 256
stack:	.skip 4096
stack_top:
mbi:	.long 0
ncpus:	.long 0
ready:	.long 0
