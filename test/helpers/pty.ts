/**
 * Run the built CLI on a pseudo-terminal driven by python3's pty module, typing an answer after each
 * prompt: what an interactive user does (password prompts, Ctrl-C at a prompt).
 */
import { execFile } from 'node:child_process';
import { BIN } from './cli.js';

const PTY_DRIVER = `
import os, pty, sys, json, select, time
args, env, answers = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(args[0], args, env)
out = b''
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    for prompt, answer in list(answers):
        if prompt.encode() in out and answer is not None:
            os.write(fd, answer.encode() + b'\\r')
            answers = [[p, a] for p, a in answers if p != prompt]
_, status = os.waitpid(pid, 0)
code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
sys.stdout.write(json.dumps({'code': code, 'out': out.decode('utf8', 'replace')}))
`;

/** `ocipack args…` on a pty; `answers` are [prompt, text] pairs (text is followed by Enter); returns exit code and all output. */
export async function onTerminal(args: string[], env: Record<string, string>, answers: Array<[string, string]>): Promise<{ code: number; out: string }> {
  const fullEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', TERM: 'xterm', ...env };
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', PTY_DRIVER, JSON.stringify([process.execPath, BIN, ...args]), JSON.stringify(fullEnv), JSON.stringify(answers)], { timeout: 60_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as { code: number; out: string });
    });
  });
}
