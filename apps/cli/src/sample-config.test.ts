/** The recipe options a plugin choice gets from the run (no CLI process: resolvePluginChoice alone). */
import { fileURLToPath } from "node:url";
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

describe("examples/many-well.json", () => {
  it("resolves to the many-well acceptance recipe (the additive network over 16 wells, MALA points, float64 Gram)", async () => {
    const { readSampleConfigFile, resolveSampleConfig } = await import("./resolve-sample.js");
    await import("./plugins.js");
    const config = await resolveSampleConfig(await readSampleConfigFile(fileURLToPath(new URL("../examples/many-well.json", import.meta.url))));
    expect(config).toMatchObject({ target: { name: "many-well" }, points: 2000, pointSource: "mala", pointFraction: 1, fitJitter: 0.3, pointScale: 1.5, fitGramPrecision: "float64", fitIterations: 200 });
    expect(config.network.options).toMatchObject({ inputDim: 32, blockSize: 2, inner: { name: "mlp", options: { quartic: { initial: 0, lengthScale: 1 } } } });
    expect(config.sketch.options).toMatchObject({ sketchSize: 200 });
  });
});
