/**
 * Switching TensorFlow.js to a backend, and proving it happened: `tf.setBackend` resolves to
 * false (it does not throw) when initialisation fails, and tfjs then quietly computes on whatever
 * backend it falls back to. A minevo backend must either really run on its engine or fail loudly.
 */
import { ErrorCode, MinevoError, type TensorFlow } from "@minevo/core";

export async function setTensorFlowBackend(tf: TensorFlow, tfBackend: string, hint: string): Promise<void> {
  let switched: boolean;
  try {
    switched = await tf.setBackend(tfBackend);
    await tf.ready();
  } catch (error) {
    throw new MinevoError(
      ErrorCode.BackendUnavailable,
      `TensorFlow.js could not initialise its "${tfBackend}" backend: ${error instanceof Error ? error.message : String(error)}; ${hint}`,
      { tfBackend },
      { cause: error },
    );
  }
  const active = tf.getBackend();
  if (!switched || active !== tfBackend) {
    throw new MinevoError(
      ErrorCode.BackendUnavailable,
      `TensorFlow.js did not switch to its "${tfBackend}" backend (setBackend returned ${String(switched)}, the active backend is "${active}"); ${hint}`,
      { tfBackend, active, switched },
    );
  }
}
