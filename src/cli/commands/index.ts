/** Every sub-command, in the order `ocipack --help` lists them. */
import type { Command } from 'commander';
import { definePush } from './push.js';
import { definePull } from './pull.js';

export type DefineCommand = (program: Command) => Command;

export const COMMANDS: DefineCommand[] = [definePush, definePull];
