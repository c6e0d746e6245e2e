/** Small helpers for running a few transfers at once. */

/**
 * Waits for every promise (none is left running in the background), then throws the first failure,
 * in the order given. For the two or three blobs of one artifact (layer, config, provenance): they
 * go up together, the manifest after them (DESIGN "blobs first, manifest last").
 */
export async function settleAll(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
