/* Exact-cycle snippets, one per row of the timing table (platform table + cluster timing).
 * Each function: set-up, `csrr t0, cycle`, the measured body, `csrr t1, cycle`, a0 = t1 - t0.
 * The delta is the body's cycles plus 1 (the second csrr): the test subtracts t_empty. */
	.option norvc
	.text
	.macro FN name
	.globl \name
	.type \name, @function
	.balign 4
\name:
	.endm
	.macro START
	csrr t0, cycle
	.endm
	.macro STOP
	csrr t1, cycle
	sub a0, t1, t0
	ret
	.endm

/* a0 = an L1 word address, a1 = an L2 word address, a2 = a weight-memory word address on entry */
FN t_empty
	START
	STOP
FN t_alu
	START
	addi a2, a2, 1
	addi a3, a3, 1
	addi a4, a4, 1
	addi a5, a5, 1
	STOP
FN t_load_nouse
	START
	lw a2, 0(a0)
	addi a3, a4, 1
	STOP
FN t_load_use
	START
	lw a2, 0(a0)
	addi a3, a2, 1
	STOP
FN t_branch_taken
	START
	beq x0, x0, 1f
1:	STOP
FN t_branch_not_taken
	START
	bne x0, x0, 1f
1:	STOP
FN t_jal
	START
	jal x0, 1f
1:	STOP
FN t_jalr
	la a2, 1f
	START
	jalr x0, 0(a2)
1:	STOP
FN t_mul
	li a2, 12345
	li a3, -678
	START
	mul a4, a2, a3
	STOP
FN t_mulh
	li a2, 12345
	li a3, -678
	START
	mulh a4, a2, a3
	STOP
FN t_div_by_1
	li a2, 1000
	li a3, 1
	START
	div a4, a2, a3
	STOP
FN t_div_by_2pow30
	li a2, 1000
	li a3, 0x40000000
	START
	div a4, a2, a3
	STOP
FN t_div_by_0
	li a2, 1000
	li a3, 0
	START
	divu a4, a2, a3
	STOP
FN t_misaligned
	START
	lw a2, 1(a0)
	STOP
FN t_mac
	START
	.insn r 0x33, 0, 0x21, a4, a2, a3 /* p.mac */
	STOP
FN t_sdotsp
	START
	.insn r 0x57, 1, 0x5C, a4, a2, a3 /* pv.sdotsp.b */
	STOP
FN t_hwloop
	START
	.balign 4
	.insn 4, 0x507B | (0 << 7) | ((2*3) << 15) | (10 << 20) /* lp.setupi 0, 10 iterations, 3-instruction body */
	addi a2, a2, 1
	addi a3, a3, 1
	addi a4, a4, 1
	STOP
FN t_l2_load
	START
	lw a2, 0(a1)
	STOP
FN t_wmem_load            /* a2 = a weight-memory word address */
	START
	lw a3, 0(a2)
	STOP
FN t_l2_store
	START
	sw a2, 0(a1)
	STOP
FN t_periph_read /* event unit MASK register, per-core view */
	li a2, 0x10204000
	START
	lw a3, 0(a2)
	STOP
FN t_elw_ready /* p.elw on EVENT_WAIT_CLEAR with the event already buffered */
	li a2, 0x10204000
	li a3, 1
	sw a3, 0x00(a2)          /* MASK = sw event 0 */
	li a4, 0x10200E00        /* event unit + 0x600: sw events, global view */
	sw a3, 0(a4)             /* sw event 0 to core 0 */
	START
	.insn i 0x03, 6, a5, 0x3C(a2)
	STOP
FN t_dma_256 /* 256 B L2 -> L1, event wait on completion (sleeps) */
	li a2, 0x10204000
	li a3, 0x100             /* DMA event line 8 */
	sw a3, 0x00(a2)
	li a4, 0x10204400        /* MCHAN, per-core view */
	li a5, (256 | (1 << 17) | (1 << 18) | (1 << 20))
	START
	lw a6, 0(a4)             /* allocate */
	sw a5, 0(a4)
	sw a0, 0(a4)
	sw a1, 0(a4)
	.insn i 0x03, 6, a7, 0x3C(a2)
	STOP
