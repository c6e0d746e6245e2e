/** A hidden password prompt on the terminal (stdin a TTY), for encrypted cosign keys. */
import { OcipackError, usageError } from '../core/errors.js';

/** Read one line from the TTY on stdin without echoing it; the prompt goes to stderr. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(interruptedAtPrompt());
        if (ch === '\u0004' && value === '') return done(new OcipackError('CANCELLED', 'no password given'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    // Echo off before the prompt shows: an answer typed the moment the prompt appears is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * Ctrl-C typed at a prompt in raw mode (no signal from the terminal) counts as SIGINT: the run's
 * interrupt handler hears it now, so the exit code is 130 as for Ctrl-C anywhere else.
 */
export function interruptedAtPrompt(): OcipackError {
  process.emit('SIGINT', 'SIGINT');
  return new OcipackError('CANCELLED', 'interrupted at the prompt');
}

/** A password source for a use-case: a prompt when stdin is a terminal, else undefined (COSIGN_PASSWORD or fail). */
export function passwordPrompt(opts: { confirm: boolean }): (() => Promise<string>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async () => {
    const first = await promptHidden('Enter password for private key: ');
    if (!opts.confirm) return first;
    const again = await promptHidden('Enter password for private key again: ');
    if (first !== again) throw usageError('the passwords do not match');
    return first;
  };
}
