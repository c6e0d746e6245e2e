import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLUX_DEFAULT_IGNORE } from '../../../../src/core/defaults.js';
import { IgnoreMatcher, ignoreRulesFor, parseIgnore } from '../../../../src/artifact/tar/ignore.js';

/** [patterns (one .sourceignore text at the root), path, isDir, ignored?] */
const TABLE: Array<[string, string, boolean, boolean]> = [
  // simple names match at any depth
  ['*.yaml', 'a.yaml', false, true],
  ['*.yaml', 'deep/er/a.yaml', false, true],
  ['*.yaml', 'a.yml', false, false],
  ['foo', 'foo', false, true],
  ['foo', 'x/foo', true, true],
  ['foo', 'x/foo/bar.txt', false, true],
  ['foo', 'foobar', false, false],
  // ? and [...]
  ['a?c', 'abc', false, true],
  ['a?c', 'a/c', false, false],
  ['a?c', 'abbc', false, false],
  ['[ab]x', 'bx', false, true],
  ['[ab]x', 'cx', false, false],
  ['[a-c]x', 'cx', false, true],
  ['[!a-c]x', 'cx', false, false],
  ['[!a-c]x', 'dx', false, true],
  ['[^a-c]x', 'dx', false, true],
  ['[]]x', ']x', false, true],
  ['[[:digit:]]*.log', '1.log', false, true],
  ['[[:digit:]]*.log', 'x.log', false, false],
  ['[z-a]x', 'zx', false, false],
  ['[abc', '[abc', false, false],
  // trailing '/' = directories only
  ['build/', 'build', true, true],
  ['build/', 'build', false, false],
  ['build/', 'src/build/out.js', false, true],
  // anchoring: leading '/', or a '/' in the middle
  ['/root.txt', 'root.txt', false, true],
  ['/root.txt', 'sub/root.txt', false, false],
  ['docs/*.md', 'docs/a.md', false, true],
  ['docs/*.md', 'x/docs/a.md', false, false],
  ['docs/*.md', 'docs/sub/a.md', false, false],
  ['docs/*', 'docs', true, false],
  // **
  ['**/foo', 'foo', false, true],
  ['**/foo', 'a/b/foo', false, true],
  ['**/foo/bar', 'a/foo/bar', false, true],
  ['**/foo/bar', 'a/foo/x/bar', false, false],
  ['foo/**', 'foo/a', false, true],
  ['foo/**', 'foo/a/b/c', false, true],
  ['foo/**', 'foo', true, true],
  ['foo/**', 'foo', false, false],
  ['foo/**', 'x/foo/a', false, false],
  ['a/**/b', 'a/b', false, true],
  ['a/**/b', 'a/x/b', false, true],
  ['a/**/b', 'a/x/y/b', false, true],
  ['a/**/b', 'a/x/y/c', false, false],
  ['a/**/**/b', 'a/b', false, true],
  ['x**y', 'xay', false, true],
  ['x**y', 'xa/y', false, false],
  // negation: last match wins
  ['*.yaml\n!keep.yaml', 'keep.yaml', false, false],
  ['*.yaml\n!keep.yaml', 'drop.yaml', false, true],
  ['!keep.yaml\n*.yaml', 'keep.yaml', false, true],
  ['*\n!*.yaml', 'a.yaml', false, false],
  ['*\n!*.yaml', 'a.json', false, true],
  // an ignored directory hides everything below it, even re-included files
  ['secret/\n!secret/ok.yaml', 'secret/ok.yaml', false, true],
  ['*.txt\n!important', 'important/a.txt', false, true],
  // comments, escapes, spaces, CRLF
  ['# just a comment', '# just a comment', false, false],
  ['\\#hash', '#hash', false, true],
  ['\\!bang', '!bang', false, true],
  ['trail   ', 'trail', false, true],
  ['space\\ ', 'space ', false, true],
  ['space\\ ', 'space', false, false],
  ['a.txt\r\nb.txt\r\n', 'b.txt', false, true],
  ['   \n\n', 'anything', false, false],
  ['dot.', 'dotx', false, false],
  ['(x)+', '(x)+', false, true],
  ['ünï*', 'ünïcode', false, true],
  ['?.txt', '😀.txt', false, true],
];

for (const [patterns, path, isDir, expected] of TABLE) {
  test(`${JSON.stringify(patterns)} ${expected ? 'ignores' : 'keeps'} ${path}${isDir ? '/' : ''}`, () => {
    assert.equal(new IgnoreMatcher(parseIgnore(patterns)).ignores(path, isDir), expected);
  });
}

test('Flux defaults', () => {
  const m = new IgnoreMatcher(ignoreRulesFor({}));
  const rows: Array<[string, boolean, boolean]> = [
    ['.git', true, true],
    ['.git/config', false, true],
    ['.git/objects/ab/cd', false, true],
    ['sub/.git', true, true],
    ['.git', false, false], // a '.git' file (submodule pointer) is not the directory rule
    ['.gitignore', false, true],
    ['app/.gitmodules', false, true],
    ['.gitattributes', false, true],
    ['x.png', false, true],
    ['img/logo.PNG', false, false], // matching is case-sensitive, as in flux
    ['a/b/c.jpg', false, true],
    ['a.jpeg', false, true],
    ['a.gif', false, true],
    ['v.wmv', false, true],
    ['v.flv', false, true],
    ['release.tar.gz', false, true],
    ['release.tgz', false, false],
    ['bundle.zip', false, true],
    ['deploy/app.yaml', false, false],
    ['deploy', true, false],
    ['kustomization.yaml', false, false],
  ];
  for (const [path, isDir, expected] of rows) assert.equal(m.ignores(path, isDir), expected, path);
});

test('ignoreRulesFor: --ignore-paths replaces the defaults, --add-ignore-paths extends them', () => {
  assert.equal(ignoreRulesFor({}).length, FLUX_DEFAULT_IGNORE.length);
  const replaced = new IgnoreMatcher(ignoreRulesFor({ ignorePaths: ['*.md'] }));
  assert.equal(replaced.ignores('x.png', false), false);
  assert.equal(replaced.ignores('README.md', false), true);
  const extended = new IgnoreMatcher(ignoreRulesFor({ addIgnorePaths: ['*.md', '!keep.png'] }));
  assert.equal(extended.ignores('x.png', false), true);
  assert.equal(extended.ignores('keep.png', false), false);
  assert.equal(extended.ignores('README.md', false), true);
  const none = new IgnoreMatcher(ignoreRulesFor({ ignorePaths: [] }));
  assert.equal(none.ignores('.git', true), false);
});

test('nested .sourceignore applies below its directory only', () => {
  const root = new IgnoreMatcher(parseIgnore('*.tmp\n'));
  const nested = root.withRules(parseIgnore('/local.yaml\n*.json\n!keep.tmp\nsub/\n', 'apps'));
  assert.equal(nested.ignores('apps/local.yaml', false), true);
  assert.equal(nested.ignores('local.yaml', false), false);
  assert.equal(nested.ignores('apps/x/local.yaml', false), false);
  assert.equal(nested.ignores('apps/x/a.json', false), true);
  assert.equal(nested.ignores('a.json', false), false);
  assert.equal(nested.ignores('appsx/a.json', false), false);
  assert.equal(nested.ignores('apps/keep.tmp', false), false);
  assert.equal(nested.ignores('apps/other.tmp', false), true);
  assert.equal(nested.ignores('keep.tmp', false), true);
  assert.equal(nested.ignores('apps/sub', true), true);
  assert.equal(nested.ignores('apps/sub/x.yaml', false), true);
  assert.equal(nested.ignores('apps', true), false);
  // withRules leaves the original matcher unchanged
  assert.equal(root.ignores('apps/x/a.json', false), false);
  // base given as './apps/' is normalised
  assert.equal(parseIgnore('x', './apps/')[0]?.base, 'apps');
});

test('parseIgnore records the rule shape', () => {
  const rules = parseIgnore('# c\n!/a/b/\n*.log  \n\n/\n!\n', 'd');
  assert.equal(rules.length, 2);
  assert.deepEqual({ ...rules[0], regex: undefined }, { pattern: '!/a/b/', negate: true, dirOnly: true, base: 'd', regex: undefined });
  assert.deepEqual({ ...rules[1], regex: undefined }, { pattern: '*.log', negate: false, dirOnly: false, base: 'd', regex: undefined });
});

test('ignores tolerates a leading ./ or trailing / and never ignores the root', () => {
  const m = new IgnoreMatcher(parseIgnore('*'));
  assert.equal(m.ignores('', true), false);
  assert.equal(m.ignores('./a', false), true);
  const d = new IgnoreMatcher(parseIgnore('out/'));
  assert.equal(d.ignores('out/', true), true);
});

test('a rule without "/" is tested on the last segment: the same verdicts, a name below a line break included', () => {
  const rules = parseIgnore('*.png\n!keep.png\na?c\n[ab]*.txt\nbuild/\ndocs/**/*.md\n', '', 'x');
  const m = new IgnoreMatcher(rules);
  // What the full-path regex says (the rule's own regex on the whole path), last matching rule wins.
  const full = (p: string, dir: boolean): boolean => {
    const r = [...rules].reverse().find((x) => x.regex.test(dir ? `${p}\u0000` : p));
    return r !== undefined && !r.negate;
  };
  const cases: Array<[string, boolean]> = [
    ['x.png', false], ['a/b/x.png', false], ['a/keep.png', false], ['abc', false], ['d/abc', true], ['b1.txt', false], ['z/a2.txt', false],
    ['c.txt', false], ['build', true], ['x/build', true], ['docs/a/b.md', false], ['line\nbreak/x.png', false], ['line\nbreak', true], ['a\rb/c/abc', true],
  ];
  for (const [p, dir] of cases) {
    assert.equal(m.ignoresChild(p, dir), full(p, dir), `${JSON.stringify(p)} dir=${dir}`);
    assert.equal(m.ignores(p, dir), full(p, dir), `${JSON.stringify(p)} dir=${dir} (ignores)`);
  }
  assert.equal(m.ignoresChild('line\nbreak/x.png', false), false, 'the regex does not cross a line break; neither does the fast path');
});
