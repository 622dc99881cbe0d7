/**
 * Equations declare the derivatives they read; the vector field computes exactly those. A
 * missing one here means a caller broke that promise, so fail loudly rather than read undefined.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError } from "@minevo/core";

export function requireDerivative<T extends Tensor>(value: T | undefined, what: "gradient" | "laplacian", equation: string): T {
  if (value === undefined) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `equation "${equation}" needs the ${what} of u at the points, and the caller did not pass it: ` +
        `evaluate the network with the derivatives in the equation's requirements`,
      { equation, missing: what },
    );
  }
  return value;
}
