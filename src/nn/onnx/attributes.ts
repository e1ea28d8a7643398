import { InputError } from '../../errors.js';
import type { OnnxNode, OnnxTensor } from '../../io/onnx/types.js';

/** Where an ONNX node sits, for error messages: "node '/features/features.0/Conv' (Conv)". */
export const nodeLabel = (node: OnnxNode, index: number): string => `node ${node.name ? `'${node.name}'` : `#${index}`} (${node.opType})`;

/** Typed readers of one node's attributes (InputError naming the node and the attribute). */
export class Attributes {
  constructor(private readonly node: OnnxNode, private readonly label: string) {}

  private get(name: string, type: string): unknown {
    const a = this.node.attributes.get(name);
    if (!a) return undefined;
    if (a.type !== type) throw new InputError(`${this.label}: attribute '${name}' must be of type ${type}, got ${a.type}`);
    return (a as { value: unknown }).value;
  }

  int(name: string, fallback: number): number {
    return (this.get(name, 'int') as number | undefined) ?? fallback;
  }

  float(name: string, fallback: number): number {
    return (this.get(name, 'float') as number | undefined) ?? fallback;
  }

  ints(name: string): number[] | undefined {
    return this.get(name, 'ints') as number[] | undefined;
  }

  string(name: string, fallback: string): string {
    return (this.get(name, 'string') as string | undefined) ?? fallback;
  }

  tensor(name: string): OnnxTensor | undefined {
    return this.get(name, 'tensor') as OnnxTensor | undefined;
  }

  /** The attribute names present, to refuse settings the import does not implement. */
  names(): string[] {
    return [...this.node.attributes.keys()];
  }
}
