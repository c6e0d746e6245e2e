/**
 * V8 settings for the CLI process only (a library must not change its host's engine). undici parses
 * HTTP with a WebAssembly build of llhttp; V8 re-compiles hot WebAssembly functions with its
 * optimizing tier in the background, and process exit waits for such jobs: ~30 ms added to every
 * registry command (bench/: `copy` of a tiny artifact 155 -> 125 ms). The baseline tier (Liftoff)
 * parses response headers, and skips over bodies of known length, fast enough.
 *
 * The two flags are what stop the tier-up when set at run time. `--liftoff-only`, used before, implies
 * them only when given on the command line: set at run time it changed nothing on Node 24 (perf: ~70 ms
 * of background wasm compilation, the last ~30 ms holding exit; pull S exit → process end 30–50 ms →
 * 7–11 ms with these; test/unit/cli/engine.test.ts checks the effect on a real module).
 */
import { setFlagsFromString } from 'node:v8';

/** Call before the first HTTP request (the WebAssembly module is compiled then). */
export function tuneEngine(): void {
  try {
    setFlagsFromString('--no-wasm-dynamic-tiering');
    setFlagsFromString('--no-wasm-tier-up');
  } catch {
    // an engine without the flag: keep its defaults
  }
}
