/** XSalsa20-Poly1305 against published vectors (NaCl tests, RFC 8439) and against openssl's Poly1305. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hsalsa20, poly1305, secretboxOpen, secretboxSeal, xsalsa20Stream } from '../../../src/signing/secretbox.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const KEY = hex('1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389');
const NONCE = hex('69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37');
const MSG = hex(
  'be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc' +
  'e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31' +
  '0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde' +
  '048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864' +
  '5e0705');
const BOX = hex(
  'f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce' +
  '48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972' +
  '71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae' +
  '90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3' +
  '7973f622a43d14a6599b1f654cb45a74e355a5');

test('HSalsa20 matches NaCl core5', () => {
  const out = hsalsa20(hex('ee304fca27008d8c126f90027901d80f7f1d8b8dc936cf3b9f819692827e5777'), hex('81918ef2a5e0da9b3e9060521e4bb352'));
  assert.equal(out.toString('hex'), 'bc1b30fc072cc14075e4baa731b5a845ea9b11e9a5191f94e18cba8fd821a7cd');
});

test('XSalsa20 keystream matches NaCl stream3', () => {
  assert.equal(xsalsa20Stream(KEY, NONCE, 32).toString('hex'), 'eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880');
  // a longer stream starts with the same bytes (block counter starts at 0)
  assert.equal(xsalsa20Stream(KEY, NONCE, 200).subarray(0, 32).toString('hex'), 'eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880');
});

test('Poly1305 matches RFC 8439 §2.5.2', () => {
  const key = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
  const tag = poly1305(key, Buffer.from('Cryptographic Forum Research Group'));
  assert.equal(tag.toString('hex'), 'a8061dc1305136c6c22b8baf0c0127a9');
});

test('Poly1305 agrees with openssl mac on random inputs of awkward lengths', () => {
  for (const len of [0, 1, 15, 16, 17, 63, 64, 65, 200]) {
    const key = randomBytes(32);
    const msg = randomBytes(len);
    const out = execFileSync('openssl', ['mac', '-macopt', `hexkey:${key.toString('hex')}`, 'poly1305'], { input: msg }).toString().trim().toLowerCase();
    assert.equal(poly1305(key, msg).toString('hex'), out, `length ${len}`);
  }
});

test('secretbox seal matches the NaCl secretbox vector and opens back', () => {
  const box = secretboxSeal(MSG, NONCE, KEY);
  assert.equal(box.toString('hex'), BOX.toString('hex'));
  assert.deepEqual(secretboxOpen(box, NONCE, KEY), MSG);
});

test('secretbox open refuses a flipped byte, a wrong key, a wrong nonce and a short box', () => {
  for (let i = 0; i < BOX.length; i += 37) {
    const bad = Buffer.from(BOX);
    bad[i] = bad[i]! ^ 1;
    assert.equal(secretboxOpen(bad, NONCE, KEY), undefined, `flip at ${i}`);
  }
  const wrongKey = Buffer.from(KEY);
  wrongKey[0] = wrongKey[0]! ^ 0x80;
  assert.equal(secretboxOpen(BOX, NONCE, wrongKey), undefined);
  const wrongNonce = Buffer.from(NONCE);
  wrongNonce[23] = wrongNonce[23]! ^ 1;
  assert.equal(secretboxOpen(BOX, wrongNonce, KEY), undefined);
  assert.equal(secretboxOpen(BOX.subarray(0, 15), NONCE, KEY), undefined);
  assert.throws(() => secretboxSeal(MSG, NONCE.subarray(0, 23), KEY), RangeError);
});
