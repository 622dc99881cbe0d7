/**
 * Seeded, serialisable random streams. Every random draw in minevo derives from one of these, so a
 * run is reproduced exactly from its seed, and a checkpoint restores the stream mid-run.
 *
 * The generator is pure-rand's xoroshiro128+; independent sub-streams are derived by label
 * (`stream.derive("sketch")`), which does not consume draws from the parent, so adding a new
 * consumer of randomness never shifts the numbers another consumer sees.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";
import { ErrorCode, MinevoError, quote } from "./errors.js";

/** The JSON form of a stream's state. */
export interface RandomStreamState {
  readonly algorithm: "xoroshiro128plus";
  /** The derivation path: the seed, then each label passed to `derive`. */
  readonly key: string;
  readonly generator: readonly number[];
  /** The second normal of the last Box–Muller pair, not yet handed out. */
  readonly spareNormal: number | null;
}

/** 32-bit FNV-1a followed by a murmur3 finaliser: a well-mixed seed from a string key. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export type Seed = number | string;

function seedKey(seed: Seed): string {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `seed ${quote(seed)} must be a safe integer or a string`, { seed });
    }
    return `seed:${seed}`;
  }
  if (typeof seed !== "string" || seed.length === 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `seed ${quote(seed)} must be a safe integer or a non-empty string`, { seed });
  }
  return `seed:${seed}`;
}

export class RandomStream {
  readonly key: string;
  #generator: JumpableRandomGenerator;
  #spareNormal: number | null;

  private constructor(key: string, generator: JumpableRandomGenerator, spareNormal: number | null) {
    this.key = key;
    this.#generator = generator;
    this.#spareNormal = spareNormal;
  }

  /** A stream determined entirely by `seed`. */
  static fromSeed(seed: Seed): RandomStream {
    const key = seedKey(seed);
    return new RandomStream(key, xoroshiro128plus(hashKey(key)), null);
  }

  /** Restores a stream from {@link RandomStream.getState}'s output (for example, a checkpoint). */
  static fromState(state: RandomStreamState): RandomStream {
    const valid =
      typeof state === "object" &&
      state !== null &&
      state.algorithm === "xoroshiro128plus" &&
      typeof state.key === "string" &&
      Array.isArray(state.generator) &&
      state.generator.length === 4 &&
      state.generator.every((v) => Number.isInteger(v)) &&
      (state.spareNormal === null || Number.isFinite(state.spareNormal));
    if (!valid) {
      throw new MinevoError(
        ErrorCode.InvalidState,
        `not a random-stream state: ${quote(state)}; pass the object that RandomStream.getState() returned`,
      );
    }
    return new RandomStream(state.key, xoroshiro128plusFromState(state.generator), state.spareNormal);
  }

  /**
   * An independent stream named `label`, determined by this stream's key and the label only —
   * not by how many numbers this stream has drawn.
   */
  derive(label: string): RandomStream {
    const key = `${this.key}/${label}`;
    return new RandomStream(key, xoroshiro128plus(hashKey(key)), null);
  }

  getState(): RandomStreamState {
    return { algorithm: "xoroshiro128plus", key: this.key, generator: [...this.#generator.getState()], spareNormal: this.#spareNormal };
  }

  /** An independent copy with the same state. */
  clone(): RandomStream {
    return new RandomStream(this.key, this.#generator.clone(), this.#spareNormal);
  }

  /** Uniform on [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.#generator);
  }

  /** Uniform on the open interval (0, 1): safe to take a logarithm of. */
  uniformOpen(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return u;
  }

  /** A uniformly distributed integer in [0, n). */
  integer(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, `integer(n) needs a positive safe integer n, got ${quote(n)}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Box–Muller; the pair's second value is kept for the next call). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const z = this.#spareNormal;
      this.#spareNormal = null;
      return z;
    }
    const u1 = this.uniformOpen();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.#spareNormal = r * Math.sin(angle);
    return r * Math.cos(angle);
  }

  /** Fills `out` with normals of mean `mean` and standard deviation `std`. */
  fillNormal<T extends Float64Array | Float32Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills `out` with uniforms on [low, high). */
  fillUniform<T extends Float64Array | Float32Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** `n` standard normals in a new Float64Array. */
  normals(n: number): Float64Array {
    return this.fillNormal(new Float64Array(n));
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }
}
