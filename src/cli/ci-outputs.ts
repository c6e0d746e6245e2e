/**
 * Job outputs wherever ocipack runs in CI (issue 28 §2). After push, pull, tag, copy, promote, sign or attest
 * succeeded: `digest=`, `ref=`, `url=` appended to `$GITHUB_OUTPUT` (multiline-safe heredoc syntax),
 * a Markdown table to `$GITHUB_STEP_SUMMARY`, and `OCIPACK_DIGEST=…` lines to the dotenv file of
 * `--dotenv`/`OCIPACK_DOTENV` (GitLab's `artifacts: reports: dotenv`). `--no-ci-outputs` turns it all off.
 * Each is a file append, as the runner's own toolkit does: no dependency.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { OcipackError } from '../core/errors.js';
import type { OnEvent } from '../core/events.js';
import { formatBytes } from './format.js';
import { artifactOutputs, OUTPUT_COMMANDS, type CiOutputs } from './ci-results.js';

type Env = Record<string, string | undefined>;

/** What the transfer events told about the artifact (the results do not carry it): layer size, files in the tree. */
export interface CiFacts {
  size?: number;
  files?: number;
}

/** Where this run writes: the GitHub files from the environment, the dotenv file from the flag or OCIPACK_DOTENV. */
export interface CiTargets {
  githubOutput?: string;
  stepSummary?: string;
  dotenv?: string;
}

/** The targets for a run, or undefined when there is none (or `--no-ci-outputs`). */
export function ciTargets(env: Env, flags: { ciOutputs?: boolean; dotenv?: string }): CiTargets | undefined {
  if (flags.ciOutputs === false) return undefined;
  const t: CiTargets = {};
  if (env.GITHUB_OUTPUT) t.githubOutput = env.GITHUB_OUTPUT;
  if (env.GITHUB_STEP_SUMMARY) t.stepSummary = env.GITHUB_STEP_SUMMARY;
  const dotenv = flags.dotenv ?? env.OCIPACK_DOTENV;
  if (dotenv) t.dotenv = dotenv;
  return Object.keys(t).length > 0 ? t : undefined;
}

/** A listener that notes the pack's layer size and file count (or the files a pull extracted), then passes the event on. */
export function observeFacts(facts: CiFacts, next: OnEvent | undefined): OnEvent {
  return (e) => {
    if (e.type === 'blob:progress' && (e.action === 'pack' || e.action === 'extract') && e.files !== undefined) facts.files = e.files;
    else if (e.type === 'blob:done' && e.action === 'pack') facts.size = e.size;
    next?.(e);
  };
}

/** `name<<DELIMITER\nvalue\nDELIMITER\n` for each output, with a random delimiter no value contains (GitHub's multiline syntax). */
export function githubOutputText(outputs: Record<string, string>, delimiter = `ghadelimiter_${randomUUID()}`): string {
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    if (name.includes(delimiter) || value.includes(delimiter)) throw new OcipackError('IO', `the value of output ${name} contains its delimiter`);
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return text;
}

/** `OCIPACK_DIGEST=…` lines; a value with a line break (never in a digest or reference) is left out. */
export function dotenvText(outputs: CiOutputs): string {
  const lines = Object.entries(outputs)
    .filter(([, v]) => !/[\r\n]/.test(v))
    .map(([k, v]) => `OCIPACK_${k.toUpperCase()}=${v}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** A table cell: one line, no `|`, code-formatted when asked. */
function cell(value: string | undefined, code = false): string {
  if (value === undefined || value === '') return '—';
  const v = value.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  return code ? `\`${v.replace(/`/g, "'")}\`` : v;
}

/** The step summary: a heading and a one-row table (artifact, digest, size, files, signed by, provenance). */
export function summaryMarkdown(command: string, o: CiOutputs, row: { artifact: string; size?: number; files?: number; signedBy?: string; provenance?: string }): string {
  return [
    `### ocipack ${command}`,
    '',
    '| artifact | digest | size | files | signed by | provenance |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${cell(row.artifact, true)} | ${cell(o.digest, true)} | ${cell(row.size === undefined ? undefined : formatBytes(row.size))} | ${cell(row.files === undefined ? undefined : String(row.files))} | ${cell(row.signedBy)} | ${cell(row.provenance, true)} |`,
    '',
    '',
  ].join('\n');
}

/** Replaces the OCIPACK_* keys of an existing dotenv file (a job that pushes, then signs, keeps one value each). */
async function writeDotenv(file: string, text: string): Promise<void> {
  const keys = new Set(text.split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf('='))));
  const old = await readFile(file, 'utf8').catch(() => '');
  const kept = old.split('\n').filter((l) => l !== '' && !keys.has(l.slice(0, l.indexOf('='))));
  await writeFile(file, `${[...kept, ...text.split('\n').filter(Boolean)].join('\n')}\n`);
}

/** Writes every CI output of a finished command; returns the targets written (nothing for a dry run or another command). */
export async function writeCiOutputs(command: string, result: unknown, facts: CiFacts, targets: CiTargets, layout: boolean): Promise<string[]> {
  if (!OUTPUT_COMMANDS.has(command)) return [];
  const a = artifactOutputs(command, result, layout);
  if (a === undefined) return [];
  const written: string[] = [];
  const write = async (what: string, file: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      written.push(what);
    } catch (err) {
      if (err instanceof OcipackError) throw err;
      throw new OcipackError('IO', `cannot write the ${what} to ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, context: { path: file } });
    }
  };
  if (targets.githubOutput) await write('job outputs', targets.githubOutput, () => appendFile(targets.githubOutput!, githubOutputText({ ...a.outputs })));
  if (targets.stepSummary) {
    const row = { artifact: a.artifact, size: a.size ?? facts.size, files: a.files ?? facts.files, signedBy: a.signedBy, provenance: a.provenance };
    await write('step summary', targets.stepSummary, () => appendFile(targets.stepSummary!, summaryMarkdown(command, a.outputs, row)));
  }
  if (targets.dotenv) await write('dotenv report', targets.dotenv, () => writeDotenv(targets.dotenv!, dotenvText(a.outputs)));
  return written;
}
