import { expectTypeOf, test } from "vitest";
import { registries, type Network, type PluginOptions } from "@minevo/core";
import type { MlpNetwork } from "./index.js";
import "./index.js";

test("mlp options are typed through the registry", () => {
  const network = registries.network.create("mlp", { inputDim: 2, activation: "gelu", quadratic: { form: "diagonal" } });
  expectTypeOf(network).toEqualTypeOf<MlpNetwork>();
  expectTypeOf(network).toExtend<Network>();
  expectTypeOf<PluginOptions<"network", "mlp">["activation"]>().toEqualTypeOf<"tanh" | "softplus" | "gelu" | "sin" | "swish" | undefined>();
  // @ts-expect-error: relu is not one of the activations
  registries.network.create("mlp", { inputDim: 2, activation: "relu" });
  // @ts-expect-error: inputDim is required
  registries.network.create("mlp", { hiddenWidths: [3] });
  // @ts-expect-error: misspelt option
  registries.network.create("mlp", { inputDim: 2, hiddenWidth: [3] });
});
