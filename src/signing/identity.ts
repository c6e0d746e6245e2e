/**
 * Who a keyless certificate must name: the SAN and OIDC issuer exactly or by regular expression, and
 * the GitHub workflow claims cosign checks (`--certificate-github-workflow-*`: Fulcio's deprecated
 * extensions 1.3.6.1.4.1.57264.1.2–.6, which Fulcio still writes, or their v2 successors .1.20 build
 * trigger, .1.13 source repository digest, .1.12 source repository URI, .1.14 source repository ref;
 * the workflow name has no v2 successor). Unlike cosign (Go's regexp.MatchString, unanchored), the
 * expressions are ANCHORED: `--certificate-identity-regexp 'https://github.com/org/.*'` must match the
 * whole SAN, so `https://evil.example/?https://github.com/org/x` does not pass. JavaScript RegExp syntax.
 */
import { usageError } from '../core/errors.js';
import { derString, FULCIO_OID } from './certext.js';

export type GithubClaim = 'trigger' | 'sha' | 'name' | 'repository' | 'ref';

/** The identity rules as given on the command line (any may be absent, the caller checks the combination). */
export interface IdentityRules {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  github?: Partial<Record<GithubClaim, string>>;
}

interface ClaimDef {
  v1: string;
  v2?: string;
  /** The v2 value that stands for a v1 value (the repository: `org/repo` ↔ `https://github.com/org/repo`). */
  v2Values?: (v: string) => string[];
}

const CLAIMS: Record<GithubClaim, ClaimDef> = {
  trigger: { v1: FULCIO_OID.githubWorkflowTrigger, v2: FULCIO_OID.buildTrigger },
  sha: { v1: FULCIO_OID.githubWorkflowSha, v2: FULCIO_OID.sourceRepositoryDigest },
  name: { v1: FULCIO_OID.githubWorkflowName },
  repository: { v1: FULCIO_OID.githubWorkflowRepository, v2: FULCIO_OID.sourceRepositoryUri, v2Values: (v) => [v, `https://github.com/${v}`] },
  ref: { v1: FULCIO_OID.githubWorkflowRef, v2: FULCIO_OID.sourceRepositoryRef },
};

/** Rules with their expressions compiled (anchored). */
export interface CompiledRules {
  rules: IdentityRules;
  identityRe?: RegExp;
  issuerRe?: RegExp;
}

function anchored(source: string, option: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw usageError(`\`${option}\` "${source}" is not a valid regular expression: ${(err as Error).message}`, { option });
  }
}

/** Compile the expressions now, so a bad one is a usage error (exit 2) before any network call. */
export function compileRules(rules: IdentityRules): CompiledRules {
  const out: CompiledRules = { rules };
  if (rules.identityRegexp !== undefined) out.identityRe = anchored(rules.identityRegexp, 'certificateIdentityRegexp');
  if (rules.issuerRegexp !== undefined) out.issuerRe = anchored(rules.issuerRegexp, 'certificateOidcIssuerRegexp');
  return out;
}

/** An expression as the user wrote it, with the anchors it is matched with (RegExp#source would escape every `/`). */
function shown(source: string): string {
  return `^(?:${source})$`;
}

export type IdentityMatch = { ok: true; matched: string[] } | { ok: false; reason: string };

function githubClaim(exts: ReadonlyMap<string, Buffer>, claim: GithubClaim, want: string): string | undefined {
  const def = CLAIMS[claim];
  const v1 = exts.get(def.v1);
  if (v1 !== undefined && v1.toString('utf8') === want) return `certificateGithubWorkflow.${claim} ${want} (${def.v1})`;
  const v2 = def.v2 === undefined ? undefined : exts.get(def.v2);
  if (v2 !== undefined && (def.v2Values ?? ((v: string) => [v]))(want).includes(derString(v2))) return `certificateGithubWorkflow.${claim} ${want} (${def.v2!})`;
  return undefined;
}

/**
 * Does a verified certificate (its SAN, issuer and extensions by OID: what @sigstore/verify returns for
 * the leaf whose chain and signature it checked, SPEC §7) satisfy every rule? Lists the rules that matched.
 */
export function matchIdentity(c: CompiledRules, san: string, issuer: string, extensions: ReadonlyMap<string, Buffer> | undefined): IdentityMatch {
  const { rules } = c;
  const matched: string[] = [];
  if (rules.identity !== undefined) {
    if (san !== rules.identity) return { ok: false, reason: `certificate identity "${san}" is not "${rules.identity}"` };
    matched.push(`certificateIdentity ${rules.identity}`);
  }
  if (c.identityRe) {
    if (!c.identityRe.test(san)) return { ok: false, reason: `certificate identity "${san}" does not match ${shown(rules.identityRegexp!)}` };
    matched.push(`certificateIdentityRegexp ${rules.identityRegexp!}`);
  }
  if (rules.issuer !== undefined) {
    if (issuer !== rules.issuer) return { ok: false, reason: `certificate OIDC issuer "${issuer}" is not "${rules.issuer}"` };
    matched.push(`certificateOidcIssuer ${rules.issuer}`);
  }
  if (c.issuerRe) {
    if (!c.issuerRe.test(issuer)) return { ok: false, reason: `certificate OIDC issuer "${issuer}" does not match ${shown(rules.issuerRegexp!)}` };
    matched.push(`certificateOidcIssuerRegexp ${rules.issuerRegexp!}`);
  }
  const claims = Object.entries(rules.github ?? {}).filter(([, v]) => v !== undefined && v !== '') as [GithubClaim, string][];
  if (claims.length > 0) {
    const exts = extensions;
    if (!exts) return { ok: false, reason: 'the verified certificate\'s extensions are unknown' };
    for (const [claim, want] of claims) {
      const hit = githubClaim(exts, claim, want);
      if (!hit) return { ok: false, reason: `certificate has no GitHub workflow ${claim} "${want}" (${CLAIMS[claim].v1}${CLAIMS[claim].v2 ? ` or ${CLAIMS[claim].v2}` : ''})` };
      matched.push(hit);
    }
  }
  return { ok: true, matched };
}
