/**
 * The few WebGPU shapes this package touches, declared structurally so that neither its users nor
 * its published types depend on @webgpu/types or on Dawn's `webgpu` package.
 */

/** `GPUAdapterInfo`: what the implementation says the adapter is. */
export interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** Standard since 2024: true for a software or otherwise fallback adapter. */
  readonly isFallbackAdapter?: boolean;
  /** Non-standard, reported by some implementations: "cpu", "discrete GPU", … */
  readonly type?: string;
}

export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  /** The older, adapter-level form of `info.isFallbackAdapter`. */
  readonly isFallbackAdapter?: boolean;
}

export interface GpuRequestAdapterOptions {
  readonly powerPreference?: "low-power" | "high-performance";
}

/** `navigator.gpu`. */
export interface GpuLike {
  requestAdapter(options?: GpuRequestAdapterOptions): Promise<GpuAdapterLike | null>;
}
