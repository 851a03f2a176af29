/* dsim_cluster.h: the cluster part of the deeploy-sim runtime (fork/join, barriers, cluster DMA).
 *
 * Written against the Siracusa register layout (../shared/spec/platform.md): the event unit keeps
 * the pulp-sdk eu_v3 offsets and the DMA is MCHAN v7, so this code reads like PULP runtime code and
 * the simulator models exactly these registers (src/sim/cluster/). docs/cluster.md explains the
 * protocol; the API below is what generated code calls.
 */
#ifndef DSIM_CLUSTER_H
#define DSIM_CLUSTER_H

#include <stdint.h>

#include "dsim.h" /* dsim_core_id() and dsim_cycles() live there (tp / rdcycle) */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- API ------------------------------------------------------------------------------------ */

typedef void (*dsim_task_fn)(void *arg);

/* Core 0 runs fn(arg) on cores 0..ncores-1 (itself included) and returns when all are done.
 * ncores is clamped to [1, available cores]. Call it from core 0 only, not from inside a task. */
void dsim_fork(unsigned ncores, dsim_task_fn fn, void *arg);

/* Hardware barrier among the cores of the current fork (event unit barrier 0). */
void dsim_barrier(void);

/* The number of cores in the current fork (1 outside a fork). This core's id is dsim_core_id()
 * from dsim.h (0..7). */
unsigned dsim_fork_cores(void);

/* Cluster DMA (MCHAN v7) between L1 and L2 / weight memory. ext2loc = 1: ext -> L1; 0: L1 -> ext.
 * Return a transfer id for dsim_dma_wait. 2D: the external side is read/written as rows of
 * row_bytes, ext_stride bytes apart; the L1 side is contiguous; bytes is the total. */
uint32_t dsim_dma_copy_1d(void *l1, const void *ext, uint32_t bytes, int ext2loc);
uint32_t dsim_dma_copy_2d(void *l1, const void *ext, uint32_t bytes, uint32_t row_bytes,
                          uint32_t ext_stride, int ext2loc);
/* Sleep on the DMA event until transfer id is done, then free its channel. */
void dsim_dma_wait(uint32_t id);

/* The calling core's cycle counter: dsim_cycles() from dsim.h (low 32 bits of mcycle). */

/* Profile marker (simulator only, like every register here): a store of `region` to the marker
 * register (DSIM_PROFILE_MARK, from the platform table via the build's -D) makes the simulator
 * snapshot every core's cycles by cause and the NPU's busy cycles; region k runs from this mark to
 * the next (`run --json` layerCauses, docs/report.md). Returns the cycle counter read right after
 * the store, so intervals between the returned values equal the intervals between snapshots:
 * the store is the last instruction of its block and the cycle read comes next, at every mark. */
static inline uint32_t dsim_layer_mark(uint32_t region) {
  uint32_t now;
  __asm__ volatile("sw %1, 0(%2)\n\trdcycle %0" : "=r"(now) : "r"(region), "r"(DSIM_PROFILE_MARK) : "memory");
  return now;
}

/* ---- register layout (pulp-sdk archi/eu/eu_v3.h, Deeploy mchan_v7.h facts) ------------------- */

#define DSIM_NB_CORES 8u

#define DSIM_CLUSTER_PERIPH 0x10200000u
#define DSIM_TIMER_BASE (DSIM_CLUSTER_PERIPH + 0x400u)
#define DSIM_EU_BASE (DSIM_CLUSTER_PERIPH + 0x800u)     /* global view of the event unit */
#define DSIM_MCHAN_BASE (DSIM_CLUSTER_PERIPH + 0x1800u) /* cluster view of the DMA */
#define DSIM_DEMUX_BASE 0x10204000u                    /* per-core view: each core sees its own */
#define DSIM_EU_DEMUX (DSIM_DEMUX_BASE + 0x000u)
#define DSIM_MCHAN_DEMUX (DSIM_DEMUX_BASE + 0x400u)

/* SoC control INFO register (PULP apb_soc_ctrl layout: cores [31:16], clusters [15:0]); tells
 * fork how many cluster cores exist (deeploy-sim run --cores N). */
#define DSIM_APB_SOC_CTRL 0x1A104000u
#define DSIM_APB_SOC_INFO 0x0u

/* event unit, per-core registers (demux offsets; global view: core * 0x40 + offset) */
#define DSIM_EU_CORE_MASK 0x00u
#define DSIM_EU_CORE_MASK_AND 0x04u
#define DSIM_EU_CORE_MASK_OR 0x08u
#define DSIM_EU_CORE_STATUS 0x18u
#define DSIM_EU_CORE_BUFFER 0x1Cu
#define DSIM_EU_CORE_BUFFER_MASKED 0x20u
#define DSIM_EU_CORE_BUFFER_CLEAR 0x28u
#define DSIM_EU_CORE_SW_EVENTS_MASK 0x2Cu
#define DSIM_EU_CORE_EVENT_WAIT 0x38u
#define DSIM_EU_CORE_EVENT_WAIT_CLEAR 0x3Cu
/* demux sub-areas */
#define DSIM_EU_DISPATCH_DEMUX 0x80u /* +0 FIFO access, +4 team config */
#define DSIM_EU_DISPATCH_FIFO 0x0u
#define DSIM_EU_DISPATCH_TEAM_CONFIG 0x4u
#define DSIM_EU_SW_EVENTS_DEMUX 0x100u /* +4*e trigger, +0x40 trigger+wait, +0x80 trigger+wait+clear */
#define DSIM_EU_BARRIER_DEMUX 0x200u
/* hardware barriers: global view at event unit +0x400, 0x20 bytes each */
#define DSIM_EU_BARRIER_AREA 0x400u
#define DSIM_EU_BARRIER_SIZE 0x20u
#define DSIM_EU_HW_BARR_TRIGGER_MASK 0x00u
#define DSIM_EU_HW_BARR_STATUS 0x04u
#define DSIM_EU_HW_BARR_TARGET_MASK 0x0Cu
#define DSIM_EU_HW_BARR_TRIGGER 0x10u
#define DSIM_EU_HW_BARR_TRIGGER_SELF 0x14u
#define DSIM_EU_HW_BARR_TRIGGER_WAIT 0x18u
#define DSIM_EU_HW_BARR_TRIGGER_WAIT_CLEAR 0x1Cu

/* event lines */
#define DSIM_EVT_DMA0 8u
#define DSIM_EVT_DMA1 9u
#define DSIM_EVT_TIMER0 10u
#define DSIM_EVT_TIMER1 11u
#define DSIM_EVT_NPU 12u
#define DSIM_EVT_BARRIER 16u
#define DSIM_EVT_MUTEX 17u
#define DSIM_EVT_DISPATCH 18u

/* MCHAN v7 */
#define DSIM_MCHAN_CMD 0x0u
#define DSIM_MCHAN_STATUS 0x4u
#define DSIM_MCHAN_LEN_BITS 17u
#define DSIM_MCHAN_EXT2LOC (1u << 17)
#define DSIM_MCHAN_INC (1u << 18)
#define DSIM_MCHAN_2D_EXT (1u << 19)
#define DSIM_MCHAN_EVT (1u << 20)
#define DSIM_MCHAN_IRQ (1u << 21)
#define DSIM_MCHAN_BCAST (1u << 22)
#define DSIM_MCHAN_2D_TCDM (1u << 23)

/* one ordinary load / store to a peripheral register */
static inline uint32_t dsim_reg_read(uint32_t addr) { return *(volatile uint32_t *)addr; }
static inline void dsim_reg_write(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* p.elw rd, 0(rs1): an event load; the core sleeps in the event unit until the register answers.
 * XpulpV2 encoding: opcode 0x03 (LOAD), funct3 110, I-type immediate (xpulpv2.md). */
static inline uint32_t dsim_cluster_elw(uint32_t addr) {
  uint32_t v;
  __asm__ volatile(".insn i 0x03, 0x6, %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
  return v;
}

#ifdef __cplusplus
}
#endif
#endif
