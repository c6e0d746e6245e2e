import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactHeaders, redactHeaderValue, redactUrl, requestLine, responseLine } from '../../../src/http/redact.js';

const urls: Array<[string, string]> = [
  ['https://ghcr.io/v2/org/app/manifests/v1', 'https://ghcr.io/v2/org/app/manifests/v1'],
  ['https://r.example/v2/a/tags/list?n=2&last=b', 'https://r.example/v2/a/tags/list?n=2&last=b'],
  [
    'https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA123%2F2024&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok',
    `https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=${REDACTED}&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&X-Amz-Security-Token=${REDACTED}`,
  ],
  ['https://user:pa55@r.example/v2/', 'https://r.example/v2/'],
  ['http://127.0.0.1:5000/v2/a/blobs/uploads/u?_state=SECRETSTATE&digest=sha256:ab', `http://127.0.0.1:5000/v2/a/blobs/uploads/u?_state=${REDACTED}&digest=sha256%3Aab`],
  ['https://auth.example/token?service=reg&scope=repository:a:pull&account=bob', `https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=${REDACTED}`],
  ['not a url', REDACTED],
];

for (const [input, expected] of urls) {
  test(`redactUrl ${input.slice(0, 60)}`, () => {
    assert.equal(redactUrl(input), expected);
  });
}

const headerValues: Array<[string, string, string]> = [
  ['Authorization', 'Bearer eyJhbGciOi.secret.sig', `Bearer ${REDACTED}`],
  ['authorization', 'Basic YWxpY2U6czNjcmV0', `Basic ${REDACTED}`],
  ['Authorization', 'garbage', REDACTED],
  ['Proxy-Authorization', 'Basic Zm9vOmJhcg==', `Basic ${REDACTED}`],
  ['Cookie', 'session=abc', REDACTED],
  ['Set-Cookie', 'session=abc; HttpOnly', REDACTED],
  ['X-Amz-Security-Token', 'FwoGZXIvYXdzE', REDACTED],
  ['X-Registry-Token', 'abc', REDACTED],
  ['Content-Type', 'application/json', 'application/json'],
  ['WWW-Authenticate', 'Bearer realm="https://t",service="s"', 'Bearer realm="https://t",service="s"'],
  ['Docker-Content-Digest', 'sha256:ab', 'sha256:ab'],
  ['Location', 'https://s3.example/b?Signature=xyz&Expires=1', `https://s3.example/b?Signature=${REDACTED}&Expires=${REDACTED}`],
  ['Link', '</v2/a/tags/list?n=2&last=b&token=zzz>; rel="next"', `</v2/a/tags/list?n=2&last=b&token=${REDACTED}>; rel="next"`],
];

for (const [name, value, expected] of headerValues) {
  test(`redactHeaderValue ${name}: ${value.slice(0, 30)}`, () => {
    assert.equal(redactHeaderValue(name, value), expected);
  });
}

test('debug lines never contain the secrets of a request or response', () => {
  const secrets = ['s3cret-token', 'YWxpY2U6czNjcmV0', 'sessionid', 'SIGNATUREVALUE', 'AMZTOKEN'];
  const req = requestLine('GET', 'https://b.s3.example/x?X-Amz-Signature=SIGNATUREVALUE&n=1', {
    authorization: 'Bearer s3cret-token',
    cookie: 'id=sessionid',
    accept: 'application/json',
  });
  const res = responseLine('GET', 'https://r.example/v2/', 200, {
    'set-cookie': ['a=sessionid', 'b=YWxpY2U6czNjcmV0'],
    'x-amz-security-token': 'AMZTOKEN',
    'content-length': '2',
  }, 12);
  for (const line of [req, res]) for (const s of secrets) assert.ok(!line.includes(s), `${line} leaks ${s}`);
  assert.match(req, /^> GET https:\/\/b\.s3\.example\/x\?X-Amz-Signature=<redacted>&n=1 \[/);
  assert.match(req, /authorization: Bearer <redacted>/);
  assert.match(req, /accept: application\/json/);
  assert.match(res, /^< 200 GET https:\/\/r\.example\/v2\/ \(12 ms\)/);
  assert.match(res, /content-length: 2/);
});

test('redactHeaders lists every value of a repeated header, sorted', () => {
  assert.deepEqual(redactHeaders({ 'Set-Cookie': ['a', 'b'], Accept: 'x', Skip: undefined }), [
    'accept: x', `set-cookie: ${REDACTED}`, `set-cookie: ${REDACTED}`,
  ]);
});
