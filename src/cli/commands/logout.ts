/** `ocipack logout`: erase the stored credentials of a registry (docker logout). */
import type { Command } from 'commander';
import { formatOf } from '../common.js';
import { action } from '../run.js';

/** Register `logout`. */
export function defineLogout(program: Command): Command {
  return program
    .command('logout')
    .summary('erase the stored credentials of a registry (docker logout, oras logout)')
    .argument('<host>', 'registry host: ghcr.io, localhost:5000, docker.io')
    .option('--helm', 'erase them from Helm\'s registry config (helm registry logout) instead of docker\'s')
    .option('-o, --output <format>', 'machine output on stdout: json or yaml (flux\'s alias of --format)')
    .addHelpText('after', `
Example:
  ocipack logout ghcr.io
  ocipack logout --helm ghcr.io`)
    .action(action<{ output?: string; helm?: boolean }>(async ({ ui, flags, common, args }) => {
      const format = formatOf(flags, true);
      const { logout } = await import('../../usecases/login.js');
      const r = await logout({ ...common, server: args[0]!, ...(flags.helm ? { helm: true } : {}) });
      if (r.removed) ui.success(`removed the credentials for ${r.registry} from ${r.store === 'config.json' ? r.configPath : r.store}`);
      else ui.warn(`not logged in to ${r.registry}`);
      ui.data({ registry: r.registry, removed: r.removed, store: r.store, configPath: r.configPath }, format);
    }));
}
