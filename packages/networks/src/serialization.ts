/**
 * Restoring a network from its JSON form ({@link NetworkJSON}: registry name, options, θ). The
 * registry rebuilds the architecture from the options, so a user's own network restores the
 * same way once it is registered.
 */
import { ErrorCode, MinevoError, assertFinite, quote, registries, type Network, type NetworkJSON, type Registry } from "@minevo/core";

export interface RestoredNetwork {
  readonly network: Network;
  readonly parameters: Float64Array;
}

export function restoreNetwork(json: NetworkJSON | unknown, registry: Registry<"network"> = registries.network): RestoredNetwork {
  const candidate = json as Partial<NetworkJSON> | null;
  if (typeof candidate !== "object" || candidate === null || typeof candidate.name !== "string" || !Array.isArray(candidate.parameters)) {
    throw new MinevoError(
      ErrorCode.InvalidState,
      `not a network JSON: ${quote(json)}; pass the object that network.toJSON(θ) returned ({ name, options, parameters })`,
    );
  }
  const network = registry.configure(candidate.name, candidate.options).create() as Network;
  const parameters = Float64Array.from(candidate.parameters as number[]);
  if (parameters.length !== network.numParameters) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `network JSON has ${parameters.length} parameters but "${candidate.name}" with these options has p = ${network.numParameters}`,
      { expected: network.numParameters, actual: parameters.length },
    );
  }
  assertFinite(parameters, "restored θ", "the saved parameters are corrupt");
  return { network, parameters };
}
