/** Every sub-command, in the order `ocipack --help` lists them. */
import type { Command } from 'commander';
import { definePush } from './push.js';
import { definePull } from './pull.js';
import { defineTag } from './tag.js';
import { defineList } from './list.js';
import { defineDiff } from './diff.js';
import { defineBuild } from './build.js';
import { defineInspect } from './inspect.js';
import { defineCopy } from './copy.js';
import { defineMirror } from './mirror.js';
import { definePromote } from './promote.js';
import { defineVerify } from './verify.js';
import { defineSign } from './sign.js';
import { defineAttest } from './attest.js';
import { defineGenerateKeyPair } from './generate-key-pair.js';
import { defineLogin } from './login.js';
import { defineLogout } from './logout.js';
import { defineDelete } from './delete.js';
import { definePrune } from './prune.js';
import { defineVersion } from './version.js';
import { defineCompletion } from './completion.js';

export type DefineCommand = (program: Command) => Command;

/** A sub-command: the name (and aliases) it registers under, known without defining it (a run defines only its own). */
export interface CommandEntry { name: string; aliases?: string[]; define: DefineCommand }

export const COMMANDS: CommandEntry[] = [
  { name: 'push', define: definePush }, { name: 'pull', define: definePull }, { name: 'tag', define: defineTag },
  { name: 'list', define: defineList }, { name: 'diff', define: defineDiff }, { name: 'build', define: defineBuild },
  { name: 'inspect', define: defineInspect }, { name: 'copy', define: defineCopy }, { name: 'promote', define: definePromote },
  { name: 'mirror', define: defineMirror }, { name: 'delete', define: defineDelete }, { name: 'prune', define: definePrune },
  { name: 'verify', define: defineVerify }, { name: 'sign', define: defineSign }, { name: 'attest', define: defineAttest },
  { name: 'generate-key-pair', define: defineGenerateKeyPair }, { name: 'login', define: defineLogin },
  { name: 'logout', define: defineLogout }, { name: 'version', define: defineVersion }, { name: 'completion', define: defineCompletion },
];
