#!/usr/bin/env node
/**
 * The `minevo` command. Sub-commands:
 *
 *   minevo sample [--target NAME|./module.mjs] [--config run.json] [--out DIR] [...]
 *   minevo resume DIR
 *   minevo evolve --config pde.json [--out DIR]
 *   minevo list [slot]
 *
 * Every failure a user can cause ends as one line on stderr and a non-zero exit code (1; 130 or
 * 143 after SIGINT or SIGTERM, once the checkpoint is saved), never a stack trace. Set
 * MINEVO_DEBUG=1 to see the stack of an unexpected error.
 */
import "./plugins.js";
import { env as tensorFlowEnvironment } from "@tensorflow/tfjs-core";
import { Command, CommanderError, Option } from "commander";
import { runCommand } from "./run.js";
import { backendNames } from "./sample-config.js";

// Run as the workspace script (`pnpm --filter @minevo/cli minevo …`), pnpm starts us in
// apps/cli; relative paths (--out, --config, a target module) mean the caller's directory.
if (process.env["npm_lifecycle_event"] === "minevo" && process.env["INIT_CWD"]) process.chdir(process.env["INIT_CWD"]);

// TensorFlow.js's console warnings (chiefly the cpu backend's multi-line "Hi, looks like you are
// running TensorFlow.js in Node.js" banner) are not the command's output: every failure a user
// can cause is our own one-line error, and the cpu hint is our own note (backend-note.ts).
tensorFlowEnvironment().set("PROD", true);

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function sampleOptions(command: Command): Command {
  return command
    .option("--config <file>", "JSON config with the same fields as the flags (flags override it)")
    .option("--target <name|module>", "registered target (gmm2-reference, gmm25, banana, …) or an ES module exporting dim and logDensity(x, tf)")
    .option("--target-option <key=value>", "an option of the registered target (repeatable; values are JSON where they parse)", collect)
    .option("--samples <M>", "number of samples drawn by the reverse flow (default 5000)")
    .option("--seed <n>", "seed of every random draw (default 0)")
    .addOption(new Option("--backend <name>", "compute backend (default auto)").choices([...backendNames]))
    .option("--out <dir>", "output directory (default minevo-out)")
    .option("--points <N>", "collocation points (default 1000)")
    .option("--fit-iterations <n>", "Levenberg–Marquardt iterations of the initial fit (default 100)")
    .option("--smoothing <s>", "blur the initial condition: fit log(π̃ ∗ N(0, s²I)) instead of log π̃; the importance weights remove the blur (default none)")
    .option("--standardize", "run in z = (x − m)/s, m and s the mean and standard deviation of a tempered-SMC pilot on π̃ from N(0, 10²I) (for targets spread far beyond unit scale; default off)")
    .option("--standardize-reference <s>", "the pilot's reference scale in x (implies --standardize; default 10)")
    .option("--defensive <w>", "fit log(π̃ + c·N(0, 4I)) so that the initial density is (1 − w)π + w·N(0, 4I) and the model stays a density off π's mass; the weights remove the floor (needs --point-source smc or --standardize for log Z; default none)")
    .option("--fit-gradients", "fit the target's score too, not only log π̃ (d + 1 rows per fit point; default off)")
    .addOption(new Option("--point-source <source>", "collocation points from N(0, s²I) (s = --point-scale, default 2), or a share of them (--point-fraction, default 2/3) from short MALA chains on π̃ (mala) or from tempered SMC from N(0, s²I) toward π̃ (smc; reaches regions local chains miss, e.g. a funnel's mouth) (default broad)").choices(["broad", "mala", "smc"]))
    .option("--point-fraction <f>", "the share of the points from --point-source mala or smc, in (0, 1] (default 2/3)")
    .option("--fit-jitter <s>", "with --point-source mala or smc: fit points around those points, moved by N(0, s²I) (default 0.5)")
    .option("--fit-jitter-max-drop <Δ>", "with --point-source mala or smc: move a fit point back toward its source point (its jitter halved, up to 12 times) while log π̃ there is more than Δ below the particle's — fit points within the local width where π is narrow (default none)")
    .option("--defensive-latent <scale,weight>", "draw a share weight of the latent samples at T from N(0, scale²I) instead of N(0, I): heavier proposal tails, exact densities, unbiased weights (default none)")
    .option("--point-scale <s>", "broad collocation points (and chain starts, the SMC's reference) from N(0, s²I) (default 2)")
    .addOption(
      new Option("--smoothing-method <m>", "with --smoothing: draws (blurred copies for the fit, weights π̃(x)/q₀(x)) or laplace (the blur's posterior by Laplace's method, each draw carried back to one of π̃: for features narrower than s, such as a funnel's neck) (default draws)").choices([
        "draws",
        "laplace",
      ]),
    )
    .addOption(new Option("--fit-gram-precision <p>", "the initial fit's Gram matrix JᵀJ: float64 for networks whose columns are nearly constant over the points, e.g. additive (default auto)").choices(["auto", "float64", "float32"]))
    .option("--extra-fit-points <k>", "fit points from N(0, 3²I) besides the collocation points (default 2000)")
    .option("--weight-decay <w>", "weight decay of the initial fit (default 1e-4)")
    .option("--horizon <T>", "the OU horizon T (default 5)")
    .option("--max-terminal-spread <s>", "refuse a run whose u(T) + |x|²/2 varies more than this over N(0, I), or off (default 10)")
    .option("--max-flow-inconsistency <s>", "refuse a run whose forward model and reverse flow disagree by more than this (RMS), or off (default 10)")
    .addOption(new Option("--form <form>", "what the network represents (default log-density)").choices(["log-density", "log-ratio"]))
    .option("--network <name>", "network by registry name (default mlp, the recipe)")
    .option("--network-option <key=value>", "an option of the network (repeatable)", collect)
    .option("--sketch <name>", "sketch by registry name (default gaussian, sketchSize 100)")
    .option("--sketch-option <key=value>", "an option of the sketch (repeatable)", collect)
    .option("--integrator <name>", "forward integrator by registry name (default dopri5, rtol = atol = 1e-4)")
    .option("--integrator-option <key=value>", "an option of the forward integrator (repeatable)", collect)
    .option("--sampler-integrator <name>", "reverse-flow integrator (default dopri5, rtol = atol = 1e-6)")
    .option("--sampler-integrator-option <key=value>", "an option of the reverse-flow integrator (repeatable)", collect)
    .option("--condition <y=v1,v2,...>", "sample x given y for a joint target π̃(x, y)")
    .option("--checkpoint-every <K>", "save DIR/checkpoint.bin every K accepted forward steps (default 10)")
    .option("--no-plots", "skip the SVG/PNG figures")
    .option("--quiet", "no progress output");
}

/**
 * Commander's parse errors as one line: "minevo: unknown option '--sample' (Did you mean
 * --samples?); options of minevo sample: --config, --target, …". Help text passes unchanged.
 */
function oneLineErrors(command: Command): Command {
  return command.exitOverride().configureOutput({
    writeErr: (text) => {
      if (!text.startsWith("error:")) {
        process.stderr.write(text);
        return;
      }
      const message = text.trim().replace(/^error: /, "").split("\n").join(" ");
      const options = command.options.map((o) => o.long).filter((o) => o !== undefined);
      const list = options.length > 0 ? `; options of minevo ${command.name()}: ${options.join(", ")}` : "";
      process.stderr.write(`minevo: ${message}${list} [MINEVO_INVALID_ARGUMENT]\n`);
    },
  });
}

function buildProgram(): Command {
  const program = oneLineErrors(new Command("minevo"))
    .description("Minimal neural evolution: sample from a density known by formula, or evolve an equation.")
    .showSuggestionAfterError(true);
  oneLineErrors(sampleOptions(program.command("sample").description("sample from a target with the MNE Ornstein–Uhlenbeck sampler"))).action(async (options: Record<string, unknown>) => {
    await runCommand({ kind: "sample", options });
  });
  oneLineErrors(program
    .command("resume"))
    .description("continue a sample run from DIR/checkpoint.bin with DIR/config.json")
    .argument("<dir>", "the output directory of the interrupted run")
    .option("--quiet", "no progress output")
    .action(async (dir: string, options: Record<string, unknown>) => {
      await runCommand({ kind: "resume", dir, options });
    });
  oneLineErrors(program
    .command("evolve"))
    .description("evolve a registered equation (heat, advection, ornstein-uhlenbeck) or a module's equation from a JSON config")
    .requiredOption("--config <file>", "the PDE config (see README.md)")
    .option("--out <dir>", "output directory (default minevo-evolve-out)")
    .addOption(new Option("--backend <name>", "compute backend (overrides the config)").choices([...backendNames]))
    .option("--quiet", "no progress output")
    .action(async (options: Record<string, unknown>) => {
      await runCommand({ kind: "evolve", options });
    });
  oneLineErrors(program
    .command("list"))
    .description("list the registered plugins (targets, networks, sketches, integrators, equations, backends) and their descriptions")
    .argument("[slot]", "one of target, network, sketch, integrator, equation, backend")
    .action(async (slot: string | undefined) => {
      await runCommand({ kind: "list", ...(slot !== undefined ? { slot } : {}) });
    });
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; a parse error was already printed as one line.
      process.exit(error.exitCode === 0 || error.code === "commander.helpDisplayed" ? 0 : 1);
    }
    throw error;
  }
}

void main();
