#include <dsim.h>
#include <dsim_cluster.h>
typedef uint32_t (*tfn)(volatile uint32_t *l1, volatile uint32_t *l2, volatile uint32_t *wmem);
#define T(n) extern uint32_t n(volatile uint32_t *, volatile uint32_t *, volatile uint32_t *);
T(t_empty) T(t_alu) T(t_load_nouse) T(t_load_use) T(t_branch_taken) T(t_branch_not_taken) T(t_jal) T(t_jalr)
T(t_mul) T(t_mulh) T(t_div_by_1) T(t_div_by_2pow30) T(t_div_by_0) T(t_misaligned) T(t_mac) T(t_sdotsp)
T(t_hwloop) T(t_l2_load) T(t_wmem_load) T(t_l2_store) T(t_periph_read) T(t_elw_ready) T(t_dma_256)
static DSIM_L1_BSS uint32_t l1buf[128];
static uint32_t l2buf[128];
static DSIM_WMEM uint32_t wmembuf[16] = {1};
static const struct { const char *name; tfn f; } tests[] = {
#define E(n) {#n, n},
  E(t_empty) E(t_alu) E(t_load_nouse) E(t_load_use) E(t_branch_taken) E(t_branch_not_taken) E(t_jal) E(t_jalr)
  E(t_mul) E(t_mulh) E(t_div_by_1) E(t_div_by_2pow30) E(t_div_by_0) E(t_misaligned) E(t_mac) E(t_sdotsp)
  E(t_hwloop) E(t_l2_load) E(t_wmem_load) E(t_l2_store) E(t_periph_read) E(t_elw_ready) E(t_dma_256)
};
int main(void) {
  for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    uint32_t d = tests[i].f(l1buf, l2buf, wmembuf);
    d = tests[i].f(l1buf, l2buf, wmembuf); /* second call: code already decoded, same cycles */
    printf("%s=%u\n", tests[i].name, (unsigned)d);
  }
  return 0;
}
