/**
 * What the look at the files before a push found (issue 28 §4): credentials that should not leave the
 * machine refuse a push unless `allowSecrets`; a big file is only a warning. `build` and `diff` report
 * the same findings as warnings.
 */
import { OcipackError } from './errors.js';
import { DEFAULTS } from './defaults.js';

export type FindingKind = 'kubernetes-secret' | 'private-key' | 'dotenv' | 'kubeconfig' | 'large-file';

export interface Finding {
  /** The path inside the artifact. */
  path: string;
  /** The local file it was read from (absolute), for a CI annotation; absent for stdin. */
  file?: string;
  /** 1-based line where it starts, when known. */
  line?: number;
  kind: FindingKind;
  /** What was found, without the path: `a Kubernetes Secret with plaintext data`. */
  message: string;
}

/** True for the kinds that refuse a push: everything but a big file. */
export function isSecret(f: Finding): boolean {
  return f.kind !== 'large-file';
}

/** `"k8s/secret.yaml" line 3: a Kubernetes Secret with plaintext data`. */
export function describeFinding(f: Finding): string {
  return `"${f.path}"${f.line === undefined ? '' : ` line ${f.line}`}: ${f.message}`;
}

/** A push refused because of what its files hold: one line naming the first files and the option that allows them. */
export class FindingsError extends OcipackError {
  readonly findings: readonly Finding[];
  constructor(findings: readonly Finding[]) {
    const named = findings.slice(0, DEFAULTS.guard.namedInError).map(describeFinding).join('; ');
    const more = findings.length > DEFAULTS.guard.namedInError ? `; and ${findings.length - DEFAULTS.guard.namedInError} more` : '';
    const first = findings[0];
    super('BAD_INPUT', `refusing to push credentials: ${named}${more}; \`allowSecrets\` pushes them anyway`, {
      context: { option: 'allowSecrets', ...(first?.file === undefined ? {} : { path: first.file }) },
    });
    this.name = 'FindingsError';
    this.findings = findings;
  }
}
