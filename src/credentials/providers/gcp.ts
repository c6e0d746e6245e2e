/**
 * `--provider gcp`: an access token from Application Default Credentials (google-auth-library: env
 * key file, workload identity federation, gcloud's ADC file, the metadata server), user `oauth2accesstoken`.
 */
import { OcipackError } from '../../core/errors.js';
import type { Credential } from '../types.js';
import { loadSdk, sdkMessage } from './load.js';

/** The part of google-auth-library used (typed here so ocipack builds without it installed). */
interface GoogleSdk {
  GoogleAuth: new (opts: { scopes: string[] }) => { getAccessToken(): Promise<string | null | undefined> };
}

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The Basic credential Artifact Registry and GCR accept: `oauth2accesstoken` and an ADC access token. */
export async function gcpCredential(host: string): Promise<Credential> {
  const sdk = await loadSdk<GoogleSdk>('google-auth-library', 'gcp', host, 'google-auth-library');
  let token: string | null | undefined;
  try {
    token = await new sdk.GoogleAuth({ scopes: [SCOPE] }).getAccessToken();
  } catch (err) {
    const message = sdkMessage(err);
    if (/default credentials/i.test(message)) {
      throw new OcipackError('CREDENTIALS', `\`provider\` gcp found no Application Default Credentials for ${host}`, {
        context: { host, option: 'provider', program: 'gcp', next: 'provider-no-credentials' },
      });
    }
    throw new OcipackError('CREDENTIALS', `\`provider\` gcp: getting an access token for ${host} failed: ${message}`, { context: { host, option: 'provider' } });
  }
  if (!token) throw new OcipackError('CREDENTIALS', `\`provider\` gcp: Application Default Credentials gave no access token for ${host}`, { context: { host, option: 'provider' } });
  return { username: 'oauth2accesstoken', password: token };
}
