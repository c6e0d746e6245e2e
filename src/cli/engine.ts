/**
 * V8 settings for the CLI process only (a library must not change its host's engine). undici parses
 * HTTP with a WebAssembly build of llhttp; V8 re-compiles hot WebAssembly functions with its
 * optimizing tier in the background, and process exit waits for such jobs: ~30 ms added to every
 * registry command (bench/: `copy` of a tiny artifact 155 -> 125 ms). The baseline tier (Liftoff)
 * parses response headers, and skips over bodies of known length, fast enough.
 */
import { setFlagsFromString } from 'node:v8';

/** Call before the first HTTP request (the WebAssembly module is compiled then). */
export function tuneEngine(): void {
  try {
    setFlagsFromString('--liftoff-only');
  } catch {
    // an engine without the flag: keep its defaults
  }
}
