/** Which hosts each --provider serves, and the region/scope it reads from the host (no SDK loaded). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acrHost, ecrHost, gcpHost } from '../../../src/credentials/providers/index.js';
import { decodeEcrToken } from '../../../src/credentials/providers/aws.js';

test('aws: ECR hosts with their region, FIPS and China; ECR Public in us-east-1; others not', () => {
  assert.deepEqual(ecrHost('123456789012.dkr.ecr.eu-central-1.amazonaws.com'), { region: 'eu-central-1', public: false });
  assert.deepEqual(ecrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com'), { region: 'us-gov-west-1', public: false });
  assert.deepEqual(ecrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'), { region: 'cn-north-1', public: false });
  assert.deepEqual(ecrHost('public.ecr.aws'), { region: 'us-east-1', public: true });
  for (const h of ['12345.dkr.ecr.us-east-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io', 'ghcr.io', 'ecr.aws']) assert.equal(ecrHost(h), undefined, h);
});

test('azure: ACR in the public, China and US Government clouds, each with its ARM scope', () => {
  assert.deepEqual(acrHost('myreg.azurecr.io'), { scope: 'https://management.azure.com/.default' });
  assert.deepEqual(acrHost('myreg.azurecr.cn'), { scope: 'https://management.chinacloudapi.cn/.default' });
  assert.deepEqual(acrHost('myreg.azurecr.us'), { scope: 'https://management.usgovcloudapi.net/.default' });
  for (const h of ['azurecr.io', 'myreg.azurecr.io.evil.com', 'ghcr.io']) assert.equal(acrHost(h), undefined, h);
});

test('gcp: Artifact Registry and GCR hosts', () => {
  for (const h of ['europe-west1-docker.pkg.dev', 'us-docker.pkg.dev', 'gcr.io', 'eu.gcr.io', 'asia.gcr.io']) assert.ok(gcpHost(h), h);
  for (const h of ['pkg.dev', 'docker.pkg.dev.evil.io', 'gcr.io.evil.io', 'ghcr.io']) assert.ok(!gcpHost(h), h);
});

test('ECR tokens decode to user and password; a token without ":" is an error', () => {
  assert.deepEqual(decodeEcrToken(Buffer.from('AWS:pa:ss').toString('base64'), 'h'), { username: 'AWS', password: 'pa:ss' });
  assert.throws(() => decodeEcrToken(undefined, 'h'), /no usable authorization token/);
});
