/**
 * The loopback TLS probe (SPEC §2: HTTPS first), started while the program's modules still load
 * (issue 26): the probe's round trips overlap start-up instead of delaying the first request. Only for
 * a run whose first `oci://` argument is a valid reference; src/connect/warmup.ts decides whether its
 * registry is one that is probed (loopback, reached directly). The probe sends a TLS hello and nothing
 * else, and the run's first contact takes its answer. Any other run probes as before, when it needs to.
 */
import { parseReference, type Reference } from '../oci/reference.js';
import { warmUpContact } from '../usecases/warmup.js';

/** The registry reference the run names first, when `argv` is a run (not help) and it is well formed. */
export function firstRegistryRef(argv: string[]): Reference | undefined {
  const args = argv.slice(2);
  if (args.some((a) => a === '--help' || a === '-h' || a === '--') || args[0] === 'help') return undefined;
  const first = args.find((a) => a.startsWith('oci://'));
  if (first === undefined) return undefined;
  try {
    return parseReference(first);
  } catch {
    return undefined;
  }
}

/** Starts the probe of `argv`'s first registry when it is probed at all; true when it did. */
export function startEarlyProbe(argv: string[], env: NodeJS.ProcessEnv): boolean {
  const ref = firstRegistryRef(argv);
  return ref !== undefined && warmUpContact(ref, env);
}
