/**
 * TEST FIXTURE: u_θ at held-out points, read back to float64.
 */
import type * as TensorFlowCore from "@tensorflow/tfjs-core";
import type { Network } from "@minevo/core";

export async function valuesAt(tf: typeof TensorFlowCore, network: Network, parameters: Float64Array, points: Float64Array): Promise<Float64Array> {
  const width = network.inputDim + network.conditionDim;
  const pointsTensor = tf.tensor2d(Float32Array.from(points), [points.length / width, width]);
  const evaluation = network.evaluate(tf, parameters, pointsTensor, { value: true });
  try {
    return Float64Array.from(await evaluation.value!.data());
  } finally {
    evaluation.dispose();
    pointsTensor.dispose();
  }
}
