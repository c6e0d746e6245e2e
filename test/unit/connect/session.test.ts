/** connect()'s credential wiring (its private session): --creds first, one lookup per registry, no lookup without a challenge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Connection } from '../../../src/connect/connect.js';
import { parseTargetRef } from '../../../src/connect/open.js';
import { eventSink, fakeServer, scratchDir } from '../../helpers/fakes.js';


/** A registry that wants Basic `u:p` (or nothing when `open`), recording Authorization headers. */
async function basicRegistry(open = false): Promise<{ host: string; seen: string[] }> {
  const seen: string[] = [];
  const { host } = await fakeServer((req, res) => {
    seen.push(req.headers.authorization ?? '-');
    if (!open && req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"a/b","tags":["v1"]}');
  });
  return { host, seen };
}

async function tags(conn: Connection, host: string): Promise<string[]> {
  const repo = await conn.open(parseTargetRef(`${host}/a/b`));
  return repo.listTags();
}

test('a registry that never challenges causes no credential lookup', async () => {
  const reg = await basicRegistry(true);
  let lookups = 0;
  const session = connect({}, {}, { credentials: async () => { lookups++; return { username: 'u', password: 'p' }; } });
  try {
    assert.deepEqual(await tags(session, reg.host), ['v1']);
  } finally {
    await session.close();
  }
  assert.equal(lookups, 0);
  assert.ok(reg.seen.every((a) => a === '-'));
});

test('one lookup per registry and run, however many requests', async () => {
  const reg = await basicRegistry();
  const asked: string[] = [];
  const session = connect({}, {}, { credentials: async (r) => { asked.push(r); return { username: 'u', password: 'p' }; } });
  try {
    await tags(session, reg.host);
    await tags(session, reg.host);
  } finally {
    await session.close();
  }
  assert.deepEqual(asked, [reg.host]);
});

test('--creds wins over the resolver; a malformed --creds fails before any request', async () => {
  const reg = await basicRegistry();
  let lookups = 0;
  const session = connect({}, { creds: 'u:p' }, { credentials: async () => { lookups++; return undefined; } });
  try {
    assert.deepEqual(await tags(session, reg.host), ['v1']);
  } finally {
    await session.close();
  }
  assert.equal(lookups, 0);
  const before = reg.seen.length;
  const bad = connect({}, { creds: ':p' });
  await assert.rejects(tags(bad, reg.host), (e: Error & { code?: string }) => e.code === 'USAGE');
  await bad.close();
  assert.equal(reg.seen.length, before, 'the malformed run sent nothing');
});

test('by default the docker config chain is used, with the injected env and homeDir', async () => {
  const reg = await basicRegistry();
  const home = await scratchDir('ocipack-session-');
  await mkdir(join(home, '.docker'));
  await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('u:p').toString('base64') } } }));
  const sink = eventSink();
  const session = connect({ homeDir: home, env: {}, onEvent: sink.onEvent }, {});
  try {
    assert.deepEqual(await tags(session, reg.host), ['v1']);
  } finally {
    await session.close();
  }
  const debug = sink.messages('debug');
  assert.ok(debug.includes(`credentials for ${reg.host} from config.json auths entry "${reg.host}" in ${join(home, '.docker', 'config.json')}`), debug.join('\n'));
  const anon = connect({ homeDir: await scratchDir('ocipack-session-'), env: {} }, {});
  try {
    await assert.rejects(tags(anon, reg.host), (e: Error & { code?: string }) => e.code === 'UNAUTHORIZED');
  } finally {
    await anon.close();
  }
});
