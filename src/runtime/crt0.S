/* crt0 for the siracusa cluster: every core enters here (ELF entry) at reset.
 *
 * Register state at entry tells us where we run:
 *  - on the deeploy-sim simulator (bare metal, machine mode) every core starts with sp == 0;
 *  - under qemu-riscv32 (Linux user mode) the kernel hands us a non-zero sp (argc/argv block),
 *    and machine CSRs such as mhartid trap. One thread only, so it is core 0.
 * tp holds the core id for the life of the program (GCC never allocates tp), so that
 * dsim_core_id() is one instruction and works in both environments.
 */
	.section .text.init, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax          /* gp is not valid yet: no gp-relative relaxation here */
	la	gp, __global_pointer$
	.option pop

	li	tp, 0
	li	t0, 0            /* t0 = 1 when hosted (qemu-user) */
	bnez	sp, 1f
	csrr	tp, mhartid
	andi	tp, tp, 0x1f     /* core id within the cluster (cluster id lives in bits 5..10) */
	j	2f
1:	li	t0, 1
2:
	/* Stacks: one per core at the bottom of L1, growing down; core 0 lowest (see siracusa.ld).
	 * sp = __stack_bottom + (id + 1) * __stack_size. */
	la	sp, __stack_bottom
	la	t1, __stack_size
	addi	t2, tp, 1
	mul	t2, t2, t1
	add	sp, sp, t2

	bnez	tp, .Lworker

	/* Core 0: record the environment, zero .bss and .l1.bss once, then run main. */
	mv	s0, t0
	la	a0, __bss_start
	la	a1, __bss_end
	call	__dsim_zero_words
	la	a0, __l1_bss_start
	la	a1, __l1_bss_end
	call	__dsim_zero_words
	la	t1, __dsim_hosted
	sw	s0, 0(t1)

	li	a0, 0            /* argc */
	li	a1, 0            /* argv */
	call	main
	call	exit             /* exit(main's return value); does not return */
3:	j	3b

.Lworker:
	/* Cores 1..7. The cluster runtime replaces __dsim_worker_entry (weak below) with its
	 * event-unit dispatch loop; it must not touch .bss before core 0 has dispatched work. */
	mv	a0, tp
	call	__dsim_worker_entry
4:	j	4b
	.size _start, .-_start

/* zero [a0, a1), both word-aligned (the linker script aligns the bounds) */
	.text
	.type __dsim_zero_words, @function
__dsim_zero_words:
	bgeu	a0, a1, 2f
1:	sw	zero, 0(a0)
	addi	a0, a0, 4
	bltu	a0, a1, 1b
2:	ret
	.size __dsim_zero_words, .-__dsim_zero_words

/* ---- the parking spot for cores 1..7: the ONE place the cluster runtime overrides ----
 * Default: sleep forever. wfi lets the simulator stop stepping the core. */
	.weak __dsim_worker_entry
	.type __dsim_worker_entry, @function
__dsim_worker_entry:
1:	wfi
	j	1b
	.size __dsim_worker_entry, .-__dsim_worker_entry

	/* in .data, not .bss: it also keeps .data non-empty, which the link script relies on */
	.data
	.balign 4
	.globl __dsim_hosted
	.type __dsim_hosted, @object
__dsim_hosted:
	.word 0
	.size __dsim_hosted, 4
