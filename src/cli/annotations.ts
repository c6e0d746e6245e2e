/**
 * GitHub Actions annotations (issue 28 §3): on a runner, warnings and errors are also printed as
 * `::warning file=…,line=…::message` / `::error …::message` workflow commands, so they show on the
 * run's page and beside the file in a pull request. Every value is escaped by GitHub's rules (data:
 * `%`, CR, LF; properties also `:` and `,`), so no file name or message can start a command of its own.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { safeText } from './safetext.js';

/** Where an annotation points: a local file (absolute, or relative to the working directory) and a line in it. */
export interface Where {
  file?: string;
  line?: number;
}

export type AnnotationKind = 'error' | 'warning' | 'notice';

type Env = Record<string, string | undefined>;

/** A workflow command's data, escaped: `%` → `%25`, CR → `%0D`, LF → `%0A`. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value, escaped: as data, and `:` → `%3A`, `,` → `%2C`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line: `::warning file=a.yaml,line=3::message\n` (`file` already relative to the workspace). */
export function workflowCommand(kind: AnnotationKind, message: string, file?: string, line?: number): string {
  const props: string[] = [];
  if (file !== undefined && file !== '') {
    props.push(`file=${escapeProperty(file)}`);
    if (line !== undefined && Number.isInteger(line) && line > 0) props.push(`line=${line}`);
  }
  // The message is shown on a web page: the terminal's escapes (controls, bidi) apply as well.
  return `::${kind}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(safeText(message))}\n`;
}

/** Annotations for one run: on only on GitHub Actions (`GITHUB_ACTIONS=true`), paths made relative to the workspace. */
export class Annotator {
  constructor(
    private readonly cwd: string,
    private readonly workspace: string,
  ) {}

  /** The annotator for `env`, or undefined when not on a GitHub Actions runner. */
  static forEnv(env: Env, cwd: string): Annotator | undefined {
    if (env.GITHUB_ACTIONS !== 'true') return undefined;
    return new Annotator(cwd, env.GITHUB_WORKSPACE || cwd);
  }

  /** The workflow command for a message about `where`. */
  line(kind: AnnotationKind, message: string, where: Where = {}): string {
    const file = where.file === undefined ? undefined : this.relativeFile(where.file);
    return workflowCommand(kind, message, file, file === undefined ? undefined : where.line);
  }

  /** `file` as GitHub names it (posix, relative to the workspace); undefined outside the workspace (a temp file). */
  relativeFile(file: string): string | undefined {
    const rel = relative(this.workspace, resolve(this.cwd, file));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    return rel.split(sep).join('/');
  }
}
