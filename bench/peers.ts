/**
 * The peers built from plain tools, as `sh -c SCRIPT sh ARGS…` (arguments passed as positional
 * parameters, never spliced into the script): what a user with curl, tar and pigz would type.
 * Every pipeline talks to the real registry through its distribution API, like ocipack does.
 */
import { writeFile } from 'node:fs/promises';
import type { Cmd } from './measure.js';

/** Accept header for the manifests ocipack and the seeders write. */
export const MANIFEST_ACCEPT = 'Accept: application/vnd.oci.image.manifest.v1+json';

/** The first layer's digest, read from the manifest (`$1` base URL, `$2` repository, `$3` tag); sets `$d`. */
const LAYER_OF_MANIFEST = `m=$(curl -sSf -H '${MANIFEST_ACCEPT}' "$1/v2/$2/manifests/$3" | tr -d '\\n')
d=$(printf '%s' "$m" | sed 's/.*"layers"//' | grep -o 'sha256:[0-9a-f]\\{64\\}' | head -n 1)
test -n "$d"`;

function script(body: string, args: string[], env: Record<string, string>): Cmd {
  return { cmd: 'sh', args: ['-c', `set -e\n${body}`, 'sh', ...args], env };
}

/**
 * Pull without ocipack: GET the manifest, take the layer digest from it, then
 * `curl <blob url> | <filter>` into a new directory `out` (`filter` reads stdin, extracts into "$4").
 */
export function curlPull(env: Record<string, string>, base: string, repo: string, tag: string, out: string, filter: 'pigz' | 'tar-z'): Cmd {
  const extract = filter === 'pigz' ? 'pigz -dc | tar -xf - -C "$4"' : 'tar -xzf - -C "$4"';
  return script(`${LAYER_OF_MANIFEST}
mkdir "$4"
curl -sSf "$1/v2/$2/blobs/$d" | ${extract}
test -n "$(ls -A "$4")"`, [base, repo, tag, out], env);
}

/**
 * Push without ocipack: `tar -c | pigz -p2` to a file (its sha256 taken on the way, as a packer
 * must), then POST + monolithic PUT of the layer and of an empty `{}` config, then PUT of the
 * manifest (a flux-shaped artifact): a real upload to the real registry.
 * `$1` base URL, `$2` repository, `$3` tree, `$4` scratch prefix (files `$4.tgz`, `$4.json`, `$4.manifest`).
 */
export function curlPush(env: Record<string, string>, base: string, repo: string, tree: string, scratch: string): Cmd {
  return script(`d=$(tar -cf - -C "$3" . | pigz -p 2 | tee "$4.tgz" | sha256sum | cut -d' ' -f1)
s=$(stat -c %s "$4.tgz")
up() {
  loc=$(curl -sSf -X POST -D - -o /dev/null "$1/v2/$2/blobs/uploads/" | tr -d '\\r' | sed -n 's/^[Ll]ocation: *//p')
  case "$loc" in http*) ;; *) loc="$1$loc" ;; esac
  case "$loc" in *\\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sSf -o /dev/null -T "$3" -H 'Content-Type: application/octet-stream' "$loc\${sep}digest=sha256:$4"
}
printf '{}' > "$4.json"
c=$(sha256sum "$4.json" | cut -d' ' -f1)
up "$1" "$2" "$4.tgz" "$d"
up "$1" "$2" "$4.json" "$c"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.flux.config.v1+json","digest":"sha256:%s","size":2},"layers":[{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' "$c" "$d" "$s" > "$4.manifest"
curl -sSf -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$4.manifest" "$1/v2/$2/manifests/v1"`,
  [base, repo, tree, scratch], env);
}

/** `tar -c | pigz -p2 > file`: the packing half of curlPush, alone (the build peer). */
export function tarPigz(env: Record<string, string>, tree: string, file: string): Cmd {
  return script('tar -cf - -C "$1" . | pigz -p 2 > "$2"', [tree, file], env);
}

/**
 * flux's `list artifacts` request pattern, emulated with one curl process (one connection, in order):
 * GET /v2/ and the tag list, then for each tag GET /v2/ and its manifest, as go-containerregistry's
 * per-call ping + manifest fetch does. The requests go into a curl config file written untimed.
 */
export async function fluxListPattern(env: Record<string, string>, base: string, repo: string, tags: string[], configFile: string): Promise<Cmd> {
  const lines = [`${base}/v2/`, `${base}/v2/${repo}/tags/list?n=1000`];
  for (const tag of tags) lines.push(`${base}/v2/`, `${base}/v2/${repo}/manifests/${tag}`);
  await writeFile(configFile, lines.map((u) => `url = "${u}"\noutput = "/dev/null"\n`).join(''));
  return { cmd: 'curl', args: ['-sS', '-H', MANIFEST_ACCEPT, '-K', configFile], env };
}
