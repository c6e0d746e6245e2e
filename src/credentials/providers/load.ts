/** Shared by the providers: their context, and loading an SDK on demand; a missing one is one line saying what to install (issue 14 §1). */
import { hasErrCode } from '../../core/errno.js';
import { OcipackError } from '../../core/errors.js';
import type { Env } from '../../core/options.js';
import type { HttpContext } from '../../http/request.js';

/** What a provider may use: the environment it reports on, and the run's HTTP stack (for ACR's exchange). */
export interface ProviderContext {
  env: Env;
  http: () => Promise<HttpContext>;
}

/** `import(pkg)`, or a CREDENTIALS error naming the provider, the host and the `npm i` line that fixes it. */
export async function loadSdk<T>(pkg: string, provider: string, host: string, install: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    if (hasErrCode(err, 'ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND')) {
      throw new OcipackError('CREDENTIALS', `\`provider\` ${provider} needs ${pkg} for ${host}, and it is not installed`, {
        context: { host, option: 'provider', program: install, next: 'provider-install' },
        cause: err,
      });
    }
    throw err;
  }
}

/** An SDK error as one line: its name and first line of message, bounded; never a stack. */
export function sdkMessage(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown };
  const text = `${typeof e?.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : ''}${typeof e?.message === 'string' ? e.message : String(err)}`;
  const line = (text.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
