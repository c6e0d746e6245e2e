/** Runs this repository's GitHub Action as the runner would, through @github/local-action (offline, its own npm cache). */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type CliResult } from './cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `local-action run . action/main.js <env-file>` with these inputs and runner variables; `work` holds the env file, HOME and npm cache. */
export async function localAction(work: string, name: string, vars: Record<string, string>): Promise<CliResult> {
  const envFile = join(work, `${name}.env`);
  await writeFile(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'));
  const env: Record<string, string> = {
    PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    HOME: work,
    NO_COLOR: '1',
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_cache: join(work, 'npm-cache'),
  };
  return runProcess(process.execPath, [join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js'), 'run', ROOT, 'action/main.js', envFile], { env, cwd: ROOT });
}
