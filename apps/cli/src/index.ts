/**
 * @minevo/cli: the `minevo` command (src/main.ts). The modules below are its building blocks,
 * exported for programs that want the same config handling and outputs without the process.
 * Importing it registers the same built-in plugins as the command (plugins.ts).
 */
import "./plugins.js";
export { sampleConfigSchema, pluginChoiceSchema, targetChoiceSchema, sampleDefaults, backendNames, resolvePluginChoice, parseSampleConfig } from "./sample-config.js";
export type { ResolvedSampleConfig, ResolvedChoice, ResolvedTarget, SampleConfigInput } from "./sample-config.js";
export { resolveSampleConfig, sampleConfigFromCommandLine, flagsToConfig, parseCondition } from "./resolve-sample.js";
export type { SampleCommandLine } from "./resolve-sample.js";
export { runSample, checkpointFile, configFile, resultFile } from "./sample-command.js";
export type { SampleRun, SampleSummary } from "./sample-command.js";
export { loadTargetModule, loadTarget, probeTarget } from "./target-module.js";
export { writeFileAtomic, prepareOutputDirectory, toCsv, toJson } from "./files.js";
export { parseKeyValuePairs, parseOptionValue, mergeOptions } from "./options.js";
export { createProgress } from "./progress.js";
export type { ProgressSink, PhaseStatus } from "./progress.js";
