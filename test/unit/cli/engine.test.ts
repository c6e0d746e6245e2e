/**
 * tuneEngine keeps undici's WebAssembly HTTP parser on V8's baseline tier: an optimizing recompile of it in
 * the background, started near the end of a run, holds process exit until it finishes (~30 ms of every
 * registry command, issue 26). Checked on a real module in a child process, against a control run without it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const ENGINE = new URL('../../../src/cli/engine.js', import.meta.url).href;

/** A child that (maybe) tunes the engine, runs a tiny wasm function hot, and reports whether it is still on Liftoff. */
function stillLiftoff(tune: boolean, settleMs: number): boolean {
  const program = `
    const { tuneEngine } = await import(${JSON.stringify(ENGINE)});
    if (${tune}) tuneEngine();
    // (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,32,0,65,1,106,11]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
    let x = 0;
    for (let i = 0; i < 2e6; i++) x = f(x);
    const liftoff = () => eval('%IsLiftoffFunction(f)');
    const until = Date.now() + ${settleMs};
    while (liftoff() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    process.stdout.write(String(liftoff()));
  `;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout === 'true';
}

describe('tuneEngine', () => {
  it('a hot wasm function is optimized in the background without it (the control), and stays on Liftoff with it', () => {
    assert.equal(stillLiftoff(false, 10_000), false, 'control: V8 tiers a hot wasm function up');
    assert.equal(stillLiftoff(true, 300), true, 'tuned: no tier-up job to wait for at exit');
  });
});
