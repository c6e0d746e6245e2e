/**
 * `--provider aws`: ECR's `GetAuthorizationToken` (ECR Public: its own API, in us-east-1) with the AWS
 * SDK's default credential chain (env keys, shared profiles, SSO, web identity as GitHub OIDC sets it,
 * ECS/EC2 metadata); the token decodes to `AWS:<password>`, sent as Basic.
 */
import { OcipackError } from '../../core/errors.js';
import type { Credential } from '../types.js';
import { loadSdk, sdkMessage } from './load.js';

// The few SDK parts used, typed here so ocipack builds without the optional SDKs installed.
interface Sendable<T> { send(command: unknown): Promise<T> }
interface EcrSdk {
  ECRClient: new (config: { region: string }) => Sendable<{ authorizationData?: Array<{ authorizationToken?: string }> }>;
  GetAuthorizationTokenCommand: new (input: object) => unknown;
}
interface EcrPublicSdk {
  ECRPUBLICClient: new (config: { region: string }) => Sendable<{ authorizationData?: { authorizationToken?: string } }>;
  GetAuthorizationTokenCommand: new (input: object) => unknown;
}

const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials/i;

/** `AWS:<password>` from an ECR (or ECR Public) authorization token. */
export function decodeEcrToken(token: string | undefined, host: string): { username: string; password: string } {
  const text = Buffer.from(token ?? '', 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) throw new OcipackError('CREDENTIALS', `\`provider\` aws: ECR sent no usable authorization token for ${host}`, { context: { host, option: 'provider' } });
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** The Basic credential ECR hands out for `host` (valid 12 hours; fetched once per run). */
export async function awsCredential(host: string, region: string, isPublic: boolean): Promise<Credential> {
  try {
    if (isPublic) {
      const sdk = await loadSdk<EcrPublicSdk>('@aws-sdk/client-ecr-public', 'aws', host, '@aws-sdk/client-ecr-public');
      const out = await new sdk.ECRPUBLICClient({ region }).send(new sdk.GetAuthorizationTokenCommand({}));
      return decodeEcrToken(out.authorizationData?.authorizationToken, host);
    }
    const sdk = await loadSdk<EcrSdk>('@aws-sdk/client-ecr', 'aws', host, '@aws-sdk/client-ecr');
    const out = await new sdk.ECRClient({ region }).send(new sdk.GetAuthorizationTokenCommand({}));
    return decodeEcrToken(out.authorizationData?.[0]?.authorizationToken, host);
  } catch (err) {
    if (err instanceof OcipackError) throw err;
    const message = sdkMessage(err);
    if (NO_CREDENTIALS.test(message) || (err as { name?: string }).name === 'CredentialsProviderError') {
      throw new OcipackError('CREDENTIALS', `\`provider\` aws found no AWS credentials for ${host}`, {
        context: { host, option: 'provider', program: 'aws', next: 'provider-no-credentials' },
      });
    }
    throw new OcipackError('CREDENTIALS', `\`provider\` aws: GetAuthorizationToken for ${host} (region ${region}) failed: ${message}`, {
      context: { host, option: 'provider', program: 'aws', next: 'provider-denied' },
    });
  }
}
