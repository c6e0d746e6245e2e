/**
 * Starts loading the use-case module a command is about to import while commander and the command
 * definitions load, so the two overlap (bench/: `copy` of a small artifact ~10 ms sooner). A command
 * missing here still works: it only loads its module later, as it always does.
 */
const USE_CASES: Record<string, () => Promise<unknown>> = {
  push: () => import('../usecases/push.js'),
  pull: () => import('../usecases/pull.js'),
  copy: () => import('../usecases/copy.js'),
  promote: () => import('../usecases/promote.js'),
  tag: () => import('../usecases/tag.js'),
  list: () => import('../usecases/list.js'),
  diff: () => import('../usecases/diff.js'),
  build: () => import('../usecases/build.js'),
  inspect: () => import('../usecases/inspect.js'),
  verify: () => import('../usecases/verify.js'),
  sign: () => import('../usecases/sign.js'),
  delete: () => import('../usecases/delete.js'),
};

/**
 * Begin loading the use-case of `argv[2]`, if it names one; resolves once it is loaded (never rejects:
 * failures surface when the command imports it).
 */
export function prefetchUseCase(argv: string[]): Promise<unknown> | undefined {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const load = USE_CASES[argv[2] ?? ''];
  return load?.().catch(() => undefined);
}
