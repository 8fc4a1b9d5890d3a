/**
 * A forward node as gradient builders see it: inputs/outputs with '' for absent optionals, and typed
 * attribute getters that fail loudly (naming node and op) on a form the builders do not handle.
 */
import { EngineError } from '../errors';
import { AttributeType, type AttributeProto, type NodeProto } from '../onnx/onnxProto';

const dec = new TextDecoder();

export class NodeView {
  readonly attrs: Map<string, AttributeProto>;

  constructor(
    readonly proto: NodeProto,
    readonly index: number,
  ) {
    this.attrs = new Map(proto.attribute.map((a) => [a.name, a]));
  }

  get name(): string {
    return this.proto.name || `${this.proto.opType}#${this.index}`;
  }
  get opType(): string {
    return this.proto.opType;
  }
  get domain(): string {
    return this.proto.domain;
  }
  get inputs(): string[] {
    return this.proto.input;
  }
  get outputs(): string[] {
    return this.proto.output;
  }

  /** Input i, or '' when absent (optional inputs may be omitted or given as ''). */
  input(i: number): string {
    return this.proto.input[i] ?? '';
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  int(name: string, fallback?: number): number {
    const a = this.attrs.get(name);
    if (!a) return this.required(name, fallback);
    if (a.type !== AttributeType.INT) this.fail(`attribute ${name} should be an int`);
    return Number(a.i ?? 0);
  }

  ints(name: string, fallback?: number[]): number[] {
    const a = this.attrs.get(name);
    if (!a) return this.required(name, fallback);
    if (a.type !== AttributeType.INTS) this.fail(`attribute ${name} should be a list of ints`);
    return (a.ints ?? []).map(Number);
  }

  float(name: string, fallback?: number): number {
    const a = this.attrs.get(name);
    if (!a) return this.required(name, fallback);
    if (a.type !== AttributeType.FLOAT) this.fail(`attribute ${name} should be a float`);
    return a.f ?? 0;
  }

  floats(name: string, fallback?: number[]): number[] {
    const a = this.attrs.get(name);
    if (!a) return this.required(name, fallback);
    if (a.type !== AttributeType.FLOATS) this.fail(`attribute ${name} should be a list of floats`);
    return a.floats ?? [];
  }

  string(name: string, fallback?: string): string {
    const a = this.attrs.get(name);
    if (!a) return this.required(name, fallback);
    if (a.type !== AttributeType.STRING) this.fail(`attribute ${name} should be a string`);
    return dec.decode(a.s ?? new Uint8Array());
  }

  /** Throws an unsupported-form error naming this node. */
  fail(what: string): never {
    throw new EngineError('MODEL_UNSUPPORTED', `node "${this.name}" (${this.opType}): ${what}`, { node: this.name, op: this.opType });
  }

  private required<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) this.fail(`required attribute ${name} is missing`);
    return fallback;
  }
}
