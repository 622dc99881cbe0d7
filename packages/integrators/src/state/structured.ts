/**
 * Records of states, e.g. `{ theta, points, logDensity }`: each key has its own space, the RMS
 * norm runs over all components of all keys together, and tolerances may be given per key.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type { StateSpace, ToleranceHandle, ToleranceSpec } from "@minevo/core";
import { isArrayLike } from "./tolerance.js";
import { describe } from "./float64.js";

type Structured = { readonly [key: string]: unknown };

interface StructuredTolerance extends ToleranceHandle {
  readonly parts: ToleranceHandle[];
}

export class StructuredSpace<S extends Structured> implements StateSpace<S> {
  readonly size: number;
  readonly keys: readonly string[];
  readonly spaces: readonly StateSpace<unknown>[];

  constructor(spaces: { readonly [K in keyof S]: StateSpace<S[K]> }) {
    this.keys = Object.keys(spaces);
    if (this.keys.length === 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, "a structured state needs at least one key");
    }
    this.spaces = this.keys.map((k) => spaces[k] as StateSpace<unknown>);
    this.size = this.spaces.reduce((total, space) => total + space.size, 0);
  }

  combine(base: S | null, h: number, coefficients: ArrayLike<number>, values: readonly S[]): S {
    const out: Record<string, unknown> = {};
    this.keys.forEach((key, i) => {
      const space = this.spaces[i] as StateSpace<unknown>;
      out[key] = space.combine(base === null ? null : base[key], h, coefficients, values.map((v) => v[key]));
    });
    return out as S;
  }

  weightedSquares(values: readonly S[], scaleFrom: readonly S[], tolerance: ToleranceHandle): number[] | Promise<number[]> {
    const { parts } = tolerance as StructuredTolerance;
    const partial = this.keys.map((key, i) =>
      (this.spaces[i] as StateSpace<unknown>).weightedSquares(
        values.map((v) => v[key]),
        scaleFrom.map((y) => y[key]),
        parts[i] as ToleranceHandle,
      ),
    );
    const add = (lists: number[][]): number[] => values.map((_, v) => lists.reduce((sum, list) => sum + (list[v] as number), 0));
    if (partial.some((p) => p instanceof Promise)) return Promise.all(partial).then(add);
    return add(partial as number[][]);
  }

  isFinite(value: S): boolean | Promise<boolean> {
    const checks = this.keys.map((key, i) => (this.spaces[i] as StateSpace<unknown>).isFinite(value[key]));
    if (checks.some((c) => c instanceof Promise)) return Promise.all(checks).then((all) => all.every(Boolean));
    return (checks as boolean[]).every(Boolean);
  }

  check(value: unknown, what: string): S {
    if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `${what} must be a record with keys ${quote(this.keys)}, got ${describe(value)}`);
    }
    const record = value as Structured;
    const extra = Object.keys(record).filter((k) => !this.keys.includes(k));
    if (extra.length > 0) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what} has keys ${quote(extra)} that the state lacks (state keys: ${quote(this.keys)})`);
    }
    this.keys.forEach((key, i) => {
      if (!(key in record)) {
        throw new MinevoError(ErrorCode.DimensionMismatch, `${what} lacks the key "${key}" (state keys: ${quote(this.keys)})`);
      }
      (this.spaces[i] as StateSpace<unknown>).check(record[key], `${what}.${key}`);
    });
    return value as S;
  }

  clone(value: S): S {
    const out: Record<string, unknown> = {};
    this.keys.forEach((key, i) => (out[key] = (this.spaces[i] as StateSpace<unknown>).clone(value[key])));
    return out as S;
  }

  dispose(value: S): void {
    this.keys.forEach((key, i) => (this.spaces[i] as StateSpace<unknown>).dispose(value[key]));
  }

  /**
   * A number applies to every component; an array is split over the keys in order (flattened
   * components); a record gives each key its own tolerance.
   */
  createTolerance(rtol: ToleranceSpec, atol: ToleranceSpec): ToleranceHandle {
    const rtolParts = this.#split(rtol, "rtol");
    const atolParts = this.#split(atol, "atol");
    const parts: ToleranceHandle[] = [];
    try {
      this.spaces.forEach((space, i) => parts.push(space.createTolerance(rtolParts[i] as ToleranceSpec, atolParts[i] as ToleranceSpec)));
    } catch (error) {
      for (const part of parts) part.dispose();
      throw error;
    }
    const handle: StructuredTolerance = { parts, dispose: () => parts.forEach((p) => p.dispose()) };
    return handle;
  }

  #split(spec: ToleranceSpec, what: string): ToleranceSpec[] {
    if (typeof spec === "number") return this.keys.map(() => spec);
    if (isArrayLike(spec)) {
      if (spec.length !== this.size) {
        throw new MinevoError(
          ErrorCode.DimensionMismatch,
          `${what} has ${spec.length} entries but the state has ${this.size} components over keys ${quote(this.keys)}: give one number, one per component, or a record per key`,
          { expected: this.size, actual: spec.length },
        );
      }
      let offset = 0;
      return this.spaces.map((space) => {
        const part = Array.prototype.slice.call(spec, offset, offset + space.size) as number[];
        offset += space.size;
        return part;
      });
    }
    const record = spec as { readonly [key: string]: ToleranceSpec };
    const unknownKeys = Object.keys(record).filter((k) => !this.keys.includes(k));
    if (unknownKeys.length > 0) {
      throw new MinevoError(ErrorCode.InvalidOptions, `${what} names keys ${quote(unknownKeys)} that the state lacks (state keys: ${quote(this.keys)})`);
    }
    return this.keys.map((key) => {
      const part = record[key];
      if (part === undefined) {
        throw new MinevoError(ErrorCode.InvalidOptions, `${what} gives no tolerance for the state key "${key}": add it, or give one number for all`);
      }
      return part;
    });
  }
}
