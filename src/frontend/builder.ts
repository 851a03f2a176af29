// A small builder for IR graphs in memory (golden cases, tests, exporters): values get their
// type and shape from the caller or from the shape rules of shapes.ts.
import { dtypeOfArray, fromNumbers, toNumberArray } from './dtype.js';
import type { AttrValue, DType, Graph, Node, Tensor, TensorData, TensorInfo } from './ir.js';
import { elementCount } from './ir.js';
import { SHAPE_RULES } from './shapes.js';
import { sortGraph } from './graph.js';

export class GraphBuilder {
  private nodes: Node[] = [];
  private inputs: TensorInfo[] = [];
  private outputs: string[] = [];
  private inits = new Map<string, Tensor>();
  private values = new Map<string, TensorInfo>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  input(name: string, dtype: DType, shape: number[]): string {
    const info = { name, dtype, shape: shape.slice() };
    this.inputs.push(info);
    this.values.set(name, info);
    return name;
  }

  /** A constant tensor; `values` are numbers (rounded/wrapped to dtype) or a typed array of dtype. */
  init(name: string, dtype: DType, shape: number[], values: ArrayLike<number> | TensorData): string {
    const data =
      ArrayBuffer.isView(values) && dtypeOfArray(values as TensorData) === dtype
        ? (values as TensorData)
        : fromNumbers(dtype, Array.from(values as ArrayLike<number | bigint>, Number));
    if (data.length !== elementCount(shape)) throw new Error(`GraphBuilder.init('${name}'): ${data.length} values for shape [${shape}]`);
    this.inits.set(name, { name, dtype, shape: shape.slice(), data });
    this.values.set(name, { name, dtype, shape: shape.slice() });
    return name;
  }

  /** Add a node with one output; its shape comes from `out.shape` or the op's shape rule. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out: { name?: string; dtype?: DType; shape?: number[]; nodeName?: string; floatAttrs?: string[] } = {}): string {
    const idx = this.counter++;
    const name = out.name ?? `${op.toLowerCase()}_${idx}_out`;
    const node: Node = { name: out.nodeName ?? `${op}_${idx}`, op, domain: '', inputs, outputs: [name], attrs };
    if (out.floatAttrs) node.floatAttrs = out.floatAttrs;
    let shape = out.shape;
    let dtype = out.dtype;
    if (!shape || !dtype) {
      const rule = Object.hasOwn(SHAPE_RULES, op) ? SHAPE_RULES[op] : undefined;
      const ins = inputs.map((i) => (i === '' ? undefined : this.values.get(i)));
      const konst = (n: string) => {
        const t = this.inits.get(n);
        return t ? Array.from(toNumberArray(t.data)) : undefined;
      };
      const r = rule?.(node, ins, konst);
      if (!shape && !r) throw new Error(`GraphBuilder.node(${op}): give out.shape, no shape rule applies`);
      shape ??= r!.shape;
      dtype ??= r?.dtype ?? ins.find((i) => i)?.dtype ?? 'float32';
    }
    this.values.set(name, { name, dtype, shape: shape.slice() });
    this.nodes.push(node);
    return name;
  }

  output(...names: string[]): this {
    this.outputs.push(...names);
    return this;
  }

  build(): Graph {
    const g: Graph = {
      name: this.name,
      nodes: this.nodes.slice(),
      inputs: this.inputs.slice(),
      outputs: this.outputs.map((n) => {
        const v = this.values.get(n);
        if (!v) throw new Error(`GraphBuilder.build: output '${n}' is not a value`);
        return v;
      }),
      initializers: new Map(this.inits),
      values: new Map(this.values),
      opsets: { '': 13 },
    };
    return sortGraph(g, this.name);
  }
}
