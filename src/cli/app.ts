/** What a command run needs beyond `--version`, in one module so the bundle loads it as one chunk (main.ts imports it lazily). */
export { CommanderError } from 'commander';
export { buildProgram } from './program.js';
export { reportError, uiFor } from './run.js';
export { tuneEngine } from './engine.js';
