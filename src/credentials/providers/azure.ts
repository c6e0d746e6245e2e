/**
 * `--provider azure`: an Entra ID access token from @azure/identity's DefaultAzureCredential (env
 * service principal, workload identity as GitHub/AKS federate it, managed identity, Azure CLI),
 * exchanged at the registry's `POST /oauth2/exchange` for an ACR refresh token, used as identity token.
 */
import { DEFAULTS } from '../../core/defaults.js';
import { OcipackError } from '../../core/errors.js';
import { readCapped } from '../../http/body.js';
import { request } from '../../http/request.js';
import type { Credential } from '../types.js';
import { loadSdk, sdkMessage, type ProviderContext } from './load.js';

/** The part of @azure/identity used (typed here so ocipack builds without it installed). */
interface AzureSdk {
  DefaultAzureCredential: new () => { getToken(scope: string): Promise<{ token: string }> };
}

/** The user name ACR expects beside a refresh token (az acr login uses the same). */
const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

/** An Entra access token for the cloud's ARM scope, exchanged for the registry's refresh token. */
export async function azureCredential(host: string, scope: string, ctx: ProviderContext): Promise<Credential> {
  const sdk = await loadSdk<AzureSdk>('@azure/identity', 'azure', host, '@azure/identity');
  let accessToken: string;
  try {
    const t = await new sdk.DefaultAzureCredential().getToken(scope);
    accessToken = t.token;
  } catch (err) {
    const message = sdkMessage(err);
    throw new OcipackError('CREDENTIALS', `\`provider\` azure found no Entra ID token for ${host}: ${message}`, {
      context: { host, option: 'provider', program: 'azure', next: 'provider-no-credentials' },
    });
  }
  return { identityToken: await exchange(host, accessToken, ctx), username: ACR_TOKEN_USER };
}

/** `POST https://<host>/oauth2/exchange` (ACR's AAD-OAuth2 flow): access token in, refresh token out. */
async function exchange(host: string, accessToken: string, ctx: ProviderContext): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'access_token', service: host, access_token: accessToken });
  const res = await request(await ctx.http(), {
    method: 'POST',
    url: new URL(`https://${host}/oauth2/exchange`),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: Buffer.from(form.toString(), 'utf8'),
  });
  const { bytes } = await readCapped(res.body, DEFAULTS.caps.tokenBodyBytes);
  if (res.status !== 200) {
    throw new OcipackError('CREDENTIALS', `\`provider\` azure: ${host} refused the Entra ID token at /oauth2/exchange (${res.status})`, {
      context: { host, option: 'provider', program: 'azure', next: 'provider-denied' },
    });
  }
  let doc: { refresh_token?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    doc = {};
  }
  if (typeof doc.refresh_token !== 'string' || doc.refresh_token === '') {
    throw new OcipackError('CREDENTIALS', `\`provider\` azure: ${host} sent no refresh token from /oauth2/exchange`, { context: { host, option: 'provider' } });
  }
  return doc.refresh_token;
}
