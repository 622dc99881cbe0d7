/**
 * The flat parameter vector θ and its named blocks: building a layout, and cutting θ into
 * blocks (unflatten) or joining blocks into θ (flatten) in float64 on the CPU.
 */
import { ErrorCode, MinevoError, quote, type ParameterBlock } from "@minevo/core";

/** Lays out blocks contiguously in the order given. */
export function parameterLayout(blocks: readonly { readonly name: string; readonly shape: readonly number[] }[]): ParameterBlock[] {
  let offset = 0;
  return blocks.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const block: ParameterBlock = { name, shape: [...shape], offset, size };
    offset += size;
    return block;
  });
}

/** The total length p of a layout. */
export function layoutSize(layout: readonly ParameterBlock[]): number {
  const last = layout[layout.length - 1];
  return last === undefined ? 0 : last.offset + last.size;
}

/** Cuts θ into its named blocks (row-major copies). */
export function unflattenParameters(layout: readonly ParameterBlock[], parameters: ArrayLike<number>): Map<string, Float64Array> {
  const p = layoutSize(layout);
  if (parameters.length !== p) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `θ has length ${parameters.length} but the layout has p = ${p} parameters: pass the vector this network produced`,
      { expected: p, actual: parameters.length },
    );
  }
  const blocks = new Map<string, Float64Array>();
  for (const block of layout) {
    blocks.set(block.name, Float64Array.from(Array.prototype.slice.call(parameters, block.offset, block.offset + block.size) as number[]));
  }
  return blocks;
}

/** Joins named blocks into θ; every block of the layout must be present with its size. */
export function flattenParameters(layout: readonly ParameterBlock[], blocks: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>): Float64Array {
  const lookup = (name: string): ArrayLike<number> | undefined =>
    blocks instanceof Map ? (blocks as ReadonlyMap<string, ArrayLike<number>>).get(name) : (blocks as Readonly<Record<string, ArrayLike<number>>>)[name];
  const theta = new Float64Array(layoutSize(layout));
  for (const block of layout) {
    const values = lookup(block.name);
    if (values === undefined || values.length !== block.size) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `parameter block ${quote(block.name)} needs ${block.size} values (shape ${quote(block.shape)}), got ${values === undefined ? "none" : values.length}`,
        { block: block.name, expected: block.size },
      );
    }
    for (let i = 0; i < block.size; i++) theta[block.offset + i] = values[i] as number;
  }
  return theta;
}
