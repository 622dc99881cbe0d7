/** The recipe options a plugin choice gets from the run (no CLI process: resolvePluginChoice alone). */
import { describe, expect, it } from "vitest";
import "@minevo/networks";
import { resolvePluginChoice } from "./sample-config.js";

describe("resolvePluginChoice", () => {
  it("gives the additive network the run's dimension and takes blockSize and the inner network from the user", () => {
    const inner = { name: "mlp", options: { hiddenWidths: [8], quadratic: { form: "diagonal" } } };
    const resolved = resolvePluginChoice("network", { name: "additive", options: { blockSize: 2, inner } }, 8, 0);
    expect(resolved.name).toBe("additive");
    expect(resolved.options).toMatchObject({ inputDim: 8, conditionDim: 0, blockSize: 2, inner });
    // Without a block size the schema names the missing field.
    expect(() => resolvePluginChoice("network", { name: "additive", options: { inner } }, 8, 0)).toThrow(/blockSize/);
  });
});
