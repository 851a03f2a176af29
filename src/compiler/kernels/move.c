/* Data movement: Transpose, Concat, Slice, Pad, Gather. Only the element size matters.
 * Work split: contiguous ranges of output elements (or rows) per core; an N-d counter over the
 * output keeps the input offset current with one add per element. */
#include "dk_internal.h"

DK_INLINE void cp1(uint32_t es, void *y, uint32_t i, const void *x, int32_t j) {
  switch (es) {
  case 1: ((uint8_t *)y)[i] = ((const uint8_t *)x)[j]; break;
  case 2: ((uint16_t *)y)[i] = ((const uint16_t *)x)[j]; break;
  default: ((uint32_t *)y)[i] = ((const uint32_t *)x)[j]; break;
  }
}

/* Walk output elements [s, e) of shape out[0..nd), input offset = sum idx[d] * st[d] + base. */
DK_INLINE void gather_nd(uint32_t es, void *y, const void *x, uint32_t nd, const uint32_t *out, const int32_t *st,
                         int32_t base, uint32_t s, uint32_t e) {
  uint32_t idx[DK_MAX_DIMS];
  int32_t off = base;
  uint32_t r = s;
  for (int d = (int)nd - 1; d >= 0; d--) {
    idx[d] = r % out[d];
    r /= out[d];
    off += (int32_t)idx[d] * st[d];
  }
  const uint32_t last = nd - 1, ol = out[last];
  const int32_t sl = st[last];
  uint32_t i = s;
  while (i < e) {
    /* innermost run */
    uint32_t run = ol - idx[last];
    if (run > e - i) run = e - i;
    for (uint32_t q = 0; q < run; q++, off += sl) cp1(es, y, i + q, x, off);
    i += run;
    idx[last] += run;
    if (idx[last] < ol) break; /* only possible at the end of the range */
    off -= (int32_t)ol * sl;
    idx[last] = 0;
    for (int d = (int)last - 1; d >= 0; d--) {
      off += st[d];
      if (++idx[d] < out[d]) break;
      off -= (int32_t)out[d] * st[d];
      idx[d] = 0;
    }
  }
}

static void gather_any(uint32_t es, void *y, const void *x, uint32_t nd, const uint32_t *out, const int32_t *st,
                       int32_t base, uint32_t s, uint32_t e) {
  if (s >= e) return;
  if (nd == 0) {
    cp1(es, y, 0, x, base);
    return;
  }
  switch (es) {
  case 1: gather_nd(1, y, x, nd, out, st, base, s, e); break;
  case 2: gather_nd(2, y, x, nd, out, st, base, s, e); break;
  default: gather_nd(4, y, x, nd, out, st, base, s, e); break;
  }
}

/* Drop size-1 dims and merge neighbours that the input walks contiguously (st[d] =
 * st[d+1]*out[d+1]); the output order is unchanged. Returns the new rank (>= 1). */
static uint32_t simplify(uint32_t nd, uint32_t *out, int32_t *st) {
  uint32_t w = 0;
  for (uint32_t d = 0; d < nd; d++) {
    if (out[d] == 1) continue;
    if (w > 0 && st[w - 1] == st[d] * (int32_t)out[d]) {
      out[w - 1] *= out[d];
      st[w - 1] = st[d];
    } else {
      out[w] = out[d];
      st[w] = st[d];
      w++;
    }
  }
  if (w == 0) {
    out[0] = 1;
    st[0] = 1;
    w = 1;
  }
  return w;
}

/* Copy in 4-byte units when the innermost dim is contiguous and everything is word aligned:
 * rewrites out/st/base in words and returns 4, else returns es unchanged. */
static uint32_t widen(uint32_t es, uint32_t nd, uint32_t *out, int32_t *st, int32_t *base, const void *x, const void *y) {
  if (es >= 4 || st[nd - 1] != 1 || (out[nd - 1] * es) % 4 != 0) return es;
  if ((((uintptr_t)x | (uintptr_t)y) & 3u) != 0 || (*base * (int32_t)es) % 4 != 0) return es;
  for (uint32_t d = 0; d + 1 < nd; d++)
    if ((st[d] * (int32_t)es) % 4 != 0) return es;
  for (uint32_t d = 0; d + 1 < nd; d++) st[d] = st[d] * (int32_t)es / 4;
  out[nd - 1] = out[nd - 1] * es / 4;
  *base = *base * (int32_t)es / 4;
  return 4;
}

static uint32_t numel(uint32_t nd, const uint32_t *shape) {
  uint32_t n = 1;
  for (uint32_t d = 0; d < nd; d++) n *= shape[d];
  return n;
}

void dk_transpose(void *args) {
  const dk_transpose_args_t *a = (const dk_transpose_args_t *)args;
  const uint32_t nd = a->ndim;
  int32_t in_st[DK_MAX_DIMS], st[DK_MAX_DIMS];
  uint32_t out[DK_MAX_DIMS];
  int32_t acc = 1;
  for (int d = (int)nd - 1; d >= 0; d--) {
    in_st[d] = acc;
    acc *= (int32_t)a->in_shape[d];
  }
  for (uint32_t d = 0; d < nd; d++) {
    out[d] = a->in_shape[a->perm[d]];
    st[d] = in_st[a->perm[d]];
  }
  if (nd == 0) {
    out[0] = 1;
    st[0] = 1;
  }
  int32_t base = 0;
  uint32_t n2 = simplify(nd ? nd : 1, out, st);
  const uint32_t es = widen(a->elem_size, n2, out, st, &base, a->x, a->y);
  n2 = simplify(n2, out, st);
  uint32_t s, e;
  dk_split(numel(n2, out), &s, &e);
  gather_any(es, a->y, a->x, n2, out, st, base, s, e);
}

void dk_slice(void *args) {
  const dk_slice_args_t *a = (const dk_slice_args_t *)args;
  const uint32_t nd = a->ndim;
  int32_t st[DK_MAX_DIMS], acc = 1, base = 0;
  for (int d = (int)nd - 1; d >= 0; d--) {
    st[d] = acc * a->step[d];
    base += acc * a->start[d];
    acc *= (int32_t)a->in_shape[d];
  }
  uint32_t out[DK_MAX_DIMS];
  for (uint32_t d = 0; d < nd; d++) out[d] = a->out_shape[d];
  if (nd == 0) {
    out[0] = 1;
    st[0] = 1;
  }
  uint32_t n2 = simplify(nd ? nd : 1, out, st);
  const uint32_t es = widen(a->elem_size, n2, out, st, &base, a->x, a->y);
  n2 = simplify(n2, out, st);
  uint32_t s, e;
  dk_split(numel(n2, out), &s, &e);
  gather_any(es, a->y, a->x, n2, out, st, base, s, e);
}

/* Concat: output rows (outer) of sum(len)*inner elements; tasks are (row, input) pieces. */
void dk_concat(void *args) {
  const dk_concat_args_t *a = (const dk_concat_args_t *)args;
  const uint32_t ni = a->n_inputs, es = a->elem_size;
  uint32_t total = 0;
  for (uint32_t i = 0; i < ni; i++) total += a->len[i];
  const uint32_t row = total * a->inner * es;
  uint32_t s, e;
  dk_split(a->outer * ni, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t o = t / ni, i = t % ni;
    uint32_t pre = 0;
    for (uint32_t q = 0; q < i; q++) pre += a->len[q];
    const uint32_t bytes = a->len[i] * a->inner * es;
    const uint8_t *src = (const uint8_t *)a->x[i] + o * bytes;
    uint8_t *dst = (uint8_t *)a->y + o * row + pre * a->inner * es;
    if ((((uintptr_t)src | (uintptr_t)dst | bytes) & 3u) == 0) {
      for (uint32_t b = 0; b < bytes; b += 4) *(uint32_t *)(dst + b) = *(const uint32_t *)(src + b);
    } else {
      for (uint32_t b = 0; b < bytes; b++) dst[b] = src[b];
    }
  }
}

void dk_pad(void *args) {
  const dk_pad_args_t *a = (const dk_pad_args_t *)args;
  const uint32_t nd = a->ndim, es = a->elem_size;
  int32_t in_st[DK_MAX_DIMS], acc = 1;
  for (int d = (int)nd - 1; d >= 0; d--) {
    in_st[d] = acc;
    acc *= (int32_t)a->in_shape[d];
  }
  /* rows of the last axis are the work items */
  const uint32_t OL = nd ? a->out_shape[nd - 1] : 1;
  const uint32_t rows = nd ? numel(nd - 1, a->out_shape) : 1;
  uint32_t s, e;
  dk_split(rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    uint32_t rem = r;
    int inside = 1;
    int32_t off = 0;
    for (int d = (int)nd - 2; d >= 0; d--) {
      const int32_t j = (int32_t)(rem % a->out_shape[d]) - a->pad_begin[d];
      rem /= a->out_shape[d];
      if (j < 0 || j >= (int32_t)a->in_shape[d]) inside = 0;
      off += j * in_st[d];
    }
    const int32_t pb = nd ? a->pad_begin[nd - 1] : 0, IL = nd ? (int32_t)a->in_shape[nd - 1] : 1;
    for (uint32_t q = 0; q < OL; q++) {
      const int32_t j = (int32_t)q - pb;
      const uint32_t yi = r * OL + q;
      if (inside && j >= 0 && j < IL) cp1(es, a->y, yi, a->x, off + j);
      else if (es == 1) ((uint8_t *)a->y)[yi] = (uint8_t)a->value;
      else if (es == 2) ((uint16_t *)a->y)[yi] = (uint16_t)a->value;
      else ((uint32_t *)a->y)[yi] = (uint32_t)a->value;
    }
  }
}

void dk_gather(void *args) {
  dk_gather_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_gather_args_t *a = &a_l1;
  const uint32_t I = a->inner, es = a->elem_size;
  uint32_t s, e;
  dk_split(a->outer * a->n_idx, &s, &e);
  if (s >= e) return;
  const uint32_t row = I * es;
  /* (o, j) of the first item, then counted along (no division per item: the RoPE pair swaps
   * gather single bytes) */
  uint32_t o = s / a->n_idx, j = s - o * a->n_idx;
  for (uint32_t t = s; t < e; t++) {
    int32_t ix = a->idx[j];
    if (ix < 0) ix += (int32_t)a->axis_len;
    const uint8_t *src = (const uint8_t *)a->x + (o * a->axis_len + (uint32_t)ix) * row;
    uint8_t *dst = (uint8_t *)a->y + t * row;
    for (uint32_t b = 0; b < row; b++) dst[b] = src[b];
    if (++j == a->n_idx) {
      j = 0;
      o++;
    }
  }
}
