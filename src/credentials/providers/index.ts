/**
 * `--provider generic|aws|azure|gcp` (flux's flag, issue 14 §1): a cloud registry's credential from
 * the cloud's own SDK credential chain. Which hosts a provider serves is decided here, before any SDK
 * loads; each provider's module (and its SDK) is imported only when `--provider` names it.
 */
import { OcipackError } from '../../core/errors.js';
import { hostOfKey } from '../keys.js';
import type { Credential } from '../types.js';
import type { ProviderContext } from './load.js';

export type { ProviderContext } from './load.js';

/** The providers flux knows; `generic` is the ordinary credential chain. */
export const PROVIDERS = ['generic', 'aws', 'azure', 'gcp'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** An ECR host: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, or ECR Public's `public.ecr.aws`. */
export function ecrHost(host: string): { region: string; public: boolean } | undefined {
  if (host === 'public.ecr.aws') return { region: 'us-east-1', public: true };
  const m = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.(?:aws|amazonwebservices\.com\.cn))$/.exec(host);
  return m ? { region: m[1]!, public: false } : undefined;
}

/** An ACR host and the Azure cloud it lives in: the Entra scope its token exchange accepts. */
export function acrHost(host: string): { scope: string } | undefined {
  const m = /^[a-z0-9][a-z0-9-]*\.azurecr\.(io|cn|us)$/.exec(host);
  if (!m) return undefined;
  const arm = { io: 'https://management.azure.com', cn: 'https://management.chinacloudapi.cn', us: 'https://management.usgovcloudapi.net' }[m[1] as 'io' | 'cn' | 'us'];
  return { scope: `${arm}/.default` };
}

/** Artifact Registry (`<location>-docker.pkg.dev`) or Container Registry (`gcr.io`, `<region>.gcr.io`). */
export function gcpHost(host: string): boolean {
  return /^[a-z0-9-]+-docker\.pkg\.dev$/.test(host) || host === 'gcr.io' || /^[a-z0-9-]+\.gcr\.io$/.test(host);
}

const SERVES: Record<Exclude<ProviderName, 'generic'>, string> = {
  aws: 'ECR (<account>.dkr.ecr.<region>.amazonaws.com) and ECR Public (public.ecr.aws)',
  azure: 'ACR (<name>.azurecr.io, .azurecr.cn, .azurecr.us)',
  gcp: 'Artifact Registry (<location>-docker.pkg.dev) and GCR (gcr.io, <region>.gcr.io)',
};

/** The credential `provider` gets for `registry`: one line naming provider, host and what to do when it cannot. */
export async function providerCredential(provider: Exclude<ProviderName, 'generic'>, registry: string, ctx: ProviderContext): Promise<Credential> {
  const host = hostOfKey(registry);
  const wrongHost = (): never => {
    throw new OcipackError('CREDENTIALS', `\`provider\` ${provider} does not serve ${host}: it serves ${SERVES[provider]}`, {
      context: { host, option: 'provider', program: provider, next: 'provider-host' },
    });
  };
  const source = { kind: 'provider' as const, provider };
  switch (provider) {
    case 'aws': {
      const ecr = ecrHost(host) ?? wrongHost();
      const { awsCredential } = await import('./aws.js');
      return { ...(await awsCredential(host, ecr.region, ecr.public)), source };
    }
    case 'azure': {
      const acr = acrHost(host) ?? wrongHost();
      const { azureCredential } = await import('./azure.js');
      return { ...(await azureCredential(host, acr.scope, ctx)), source };
    }
    case 'gcp': {
      if (!gcpHost(host)) wrongHost();
      const { gcpCredential } = await import('./gcp.js');
      return { ...(await gcpCredential(host)), source };
    }
  }
}
