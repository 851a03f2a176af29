// Operators the integer TinyStories decoder step needs beyond the conformance set (docs/llm.md).
// Lut: out[i] = table[x[i] + 128], one exact 256-entry table per elementwise int8 function (SiLU).
// ArgMax: ONNX ArgMax (first maximum wins unless select_last_index = 1), used for greedy decoding.
import { InputError } from '../../errors.js';
import { attrNumber, normAxis } from '../../frontend/shapes.js';
import { type OpImpl, need, size } from '../value.js';

const Lut: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const table = need(inputs, 1, ctx);
  if (table.data.length !== 256) throw new InputError(`node '${ctx.node.name}' (Lut): table has ${table.data.length} entries, expected 256`);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    if (!(v >= -128 && v <= 127 && Number.isInteger(v))) throw new InputError(`node '${ctx.node.name}' (Lut): input value ${v} is not an int8`);
    out[i] = table.data[v + 128]!;
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

const ArgMax: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const axis = normAxis(attrNumber(ctx.node, 'axis', 0), x.shape.length);
  const keep = attrNumber(ctx.node, 'keepdims', 1) !== 0;
  const last = attrNumber(ctx.node, 'select_last_index', 0) !== 0;
  const outer = size(x.shape.slice(0, axis));
  const dim = x.shape[axis]!;
  const inner = size(x.shape.slice(axis + 1));
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let max = x.data[o * dim * inner + i]!;
      for (let k = 1; k < dim; k++) {
        const v = x.data[(o * dim + k) * inner + i]!;
        if (v > max || (last && v === max)) {
          max = v;
          best = k;
        }
      }
      out[o * inner + i] = best;
    }
  const shape = keep ? x.shape.map((d, k) => (k === axis ? 1 : d)) : x.shape.filter((_, k) => k !== axis);
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

export const LLM_OPS: Record<string, OpImpl> = { Lut, ArgMax };
