/**
 * Progress of the long phases (fit, forward evolution, sampling) on stderr: a bar redrawn in
 * place with t, the step size, accepted/rejected steps and an ETA when stderr is a terminal, and
 * plain log lines (at most one every few seconds per phase) when it is not — a log file or CI.
 */

export interface PhaseStatus {
  /** Fraction done in [0, 1] (t/T for an evolution, iterations for the fit). */
  readonly fraction: number;
  /** The rest of the line: "t = 1.23  dt = 4.5e-2  steps 40 (+2 rejected)". */
  readonly detail: string;
}

export interface ProgressSink {
  update(phase: string, status: PhaseStatus): void;
  /** Ends the phase's bar with a final line. */
  done(phase: string, summary: string): void;
  /** A line that is not progress (a warning, the backend chosen). */
  log(line: string): void;
  /** A hint worth reading but not needed: dropped by --quiet. */
  note(line: string): void;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - 60 * minutes)).padStart(2, "0")}s`;
}

/** Seconds left, from the progress made since the phase started (linear in `fraction`). */
function eta(started: number, fraction: number, now: number): number {
  if (fraction < 0.01) return Number.NaN;
  return ((now - started) / 1000) * ((1 - fraction) / fraction);
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, options: { quiet?: boolean; interval?: number } = {}): ProgressSink {
  const tty = stream.isTTY === true && options.quiet !== true;
  const interval = options.interval ?? 5000;
  const started = new Map<string, number>();
  const lastLine = new Map<string, number>();
  let barShown = false;
  const clear = (): void => {
    if (tty && barShown) {
      stream.write("\r\x1b[2K");
      barShown = false;
    }
  };
  return {
    update(phase, status) {
      if (options.quiet === true) return;
      const now = Date.now();
      if (!started.has(phase)) started.set(phase, now);
      const fraction = Math.min(1, Math.max(0, status.fraction));
      const left = formatSeconds(eta(started.get(phase) as number, fraction, now));
      if (tty) {
        const width = 24;
        const filled = Math.round(fraction * width);
        const line = `${phase.padEnd(8)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%  ${status.detail}  ETA ${left}`;
        const columns = stream.columns > 0 ? stream.columns : 120;
        stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`);
        barShown = true;
      } else if (now - (lastLine.get(phase) ?? 0) >= interval) {
        lastLine.set(phase, now);
        stream.write(`${phase}: ${(100 * fraction).toFixed(0)}%  ${status.detail}  ETA ${left}\n`);
      }
    },
    done(phase, summary) {
      if (options.quiet === true) return;
      clear();
      stream.write(`${phase}: ${summary}\n`);
    },
    log(line) {
      clear();
      stream.write(`${line}\n`);
    },
    note(line) {
      if (options.quiet === true) return;
      clear();
      stream.write(`${line}\n`);
    },
  };
}
