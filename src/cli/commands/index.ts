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

export const COMMANDS: DefineCommand[] = [definePush, definePull, defineTag, defineList, defineDiff, defineBuild, defineInspect, defineCopy, definePromote, defineMirror, defineDelete, definePrune, defineVerify, defineSign, defineAttest, defineGenerateKeyPair, defineLogin, defineLogout, defineVersion, defineCompletion];
