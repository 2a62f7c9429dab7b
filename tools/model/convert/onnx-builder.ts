import { onnx } from 'onnx-proto';

type TensorData = Float32Array | Int32Array | Int8Array | BigInt64Array;
export type AttrValue = number | number[] | { float: number };

const ELEM = onnx.TensorProto.DataType;

function elemTypeOf(data: TensorData): onnx.TensorProto.DataType {
  if (data instanceof Float32Array) return ELEM.FLOAT;
  if (data instanceof Int32Array) return ELEM.INT32;
  if (data instanceof Int8Array) return ELEM.INT8;
  return ELEM.INT64;
}

function rawBytes(data: TensorData): Uint8Array {
  // Typed arrays are little-endian on every platform Node supports; ONNX raw_data is little-endian.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  return { name, type: T.FLOAT, f: value.float };
}

/** A minimal ONNX graph builder: named initialisers, auto-named node outputs. */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /** Adds a constant tensor and returns its name. */
  constant(name: string, dims: readonly number[], data: TensorData): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`initializer ${name}: dims ${dims.join('x')} != ${data.length} values`);
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType: elemTypeOf(data), rawData: rawBytes(data) });
    return unique;
  }

  scalarF(name: string, value: number): string {
    return this.constant(name, [], new Float32Array([value]));
  }

  ints64(name: string, values: readonly number[]): string {
    return this.constant(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Adds a node with `outputs` fresh outputs; returns their names. */
  nodeN(op: string, inputs: readonly string[], outputs: number, attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
    const id = this.counter++;
    const outs = Array.from({ length: outputs }, (_, i) => this.unique(`${op.toLowerCase()}_${id}_${i}`));
    this.nodes.push({
      name: `${op}_${id}`,
      opType: op,
      domain,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.nodeN(op, inputs, 1, attrs)[0]!;
  }

  /** Renames a value by routing it through Identity (used for graph outputs). */
  output(name: string, value: string): string {
    this.nodes.push({ name: `Identity_${name}`, opType: 'Identity', input: [value], output: [name] });
    return name;
  }

  serialize(opts: {
    inputs: { name: string; elem: 'int64' | 'float'; dims: (number | string)[] }[];
    outputs: { name: string; elem: 'int64' | 'float'; dims: (number | string)[] }[];
    opset: number;
    docString: string;
  }): Uint8Array {
    const valueInfo = (v: { name: string; elem: 'int64' | 'float'; dims: (number | string)[] }): onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.elem === 'int64' ? ELEM.INT64 : ELEM.FLOAT,
          shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'creator-match',
      producerVersion: '1',
      docString: opts.docString,
      opsetImport: [{ domain: '', version: opts.opset }],
      graph: {
        name: 'main',
        node: this.nodes,
        initializer: this.initializers,
        input: opts.inputs.map(valueInfo),
        output: opts.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private unique(name: string): string {
    let n = name;
    while (this.names.has(n)) n = `${name}_${this.counter++}`;
    this.names.add(n);
    return n;
  }
}
