/**
 * One implementation, two drivers. The stepping logic is written as generators that `yield`
 * whatever may be asynchronous (a right-hand-side value, a tensor readback) and receive the
 * settled value back. The async driver awaits only what is actually a Promise; the sync driver
 * runs a synchronous right-hand side with no Promise machinery at all.
 */
import { ErrorCode, MinevoError } from "@minevo/core";

export type Effectful<T> = Generator<unknown, T, unknown>;

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

export function runSync<T>(work: Effectful<T>): T {
  let next = work.next();
  while (!next.done) {
    if (isPromiseLike(next.value)) {
      // Swallow the orphaned promise's eventual rejection; the error below explains the cause.
      Promise.resolve(next.value).catch(() => undefined);
      next = work.throw(
        new MinevoError(
          ErrorCode.InvalidArgument,
          "the right-hand side (or a tensor readback) returned a Promise inside a synchronous solve: use solve/step/init (async) for async right-hand sides and tensor states read asynchronously",
        ),
      );
      continue;
    }
    next = work.next(next.value);
  }
  return next.value;
}

export async function runAsync<T>(work: Effectful<T>): Promise<T> {
  let next = work.next();
  while (!next.done) {
    let value = next.value;
    if (isPromiseLike(value)) {
      try {
        value = await value;
      } catch (error) {
        next = work.throw(error);
        continue;
      }
    }
    next = work.next(value);
  }
  return next.value;
}
