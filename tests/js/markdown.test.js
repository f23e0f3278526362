// The safe markdown renderer (src/kanban/api/web/markdown.js): it builds
// nodes, so nothing typed is ever parsed as HTML.
import test from 'node:test';
import assert from 'node:assert/strict';
import { installFakeDom, html } from './fake-dom.js';
import { renderMarkdown, safeUrl } from '../../src/kanban/api/web/markdown.js';

installFakeDom();

const md = (source) => html(renderMarkdown(source));
const tags = (source) => [...renderMarkdown(source).descendants()].map((el) => el.tagName.toLowerCase());

test('a <script> stays text', () => {
  const out = renderMarkdown('<script>alert(1)</script>');
  assert.deepEqual([...out.descendants()].map((el) => el.tagName), ['P']);
  assert.equal(out.textContent, '<script>alert(1)</script>');
  assert.equal(html(out), '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
});

test('HTML attributes stay text too, anywhere', () => {
  for (const source of ['<img src=x onerror=alert(1)>', '**<b onclick=x>bold</b>**', '- <iframe src=//evil>', '# <svg onload=x>']) {
    assert.ok(!tags(source).some((t) => ['img', 'b', 'iframe', 'svg', 'script'].includes(t)), source);
    assert.ok(renderMarkdown(source).textContent.includes('<'), source);
  }
});

test('links keep only http(s) URLs; others are shown as typed', () => {
  assert.equal(md('[site](https://example.org/a)'),
    '<p><a href="https://example.org/a" rel="noopener noreferrer nofollow" target="_blank">site</a></p>');
  assert.equal(md('[x](javascript:alert(1))'), '<p>[x](javascript:alert(1))</p>');
  assert.equal(md('[x](data:text/html,hi)'), '<p>[x](data:text/html,hi)</p>');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('not a url'), null);
  assert.equal(safeUrl('http://example.org'), 'http://example.org/');
});

test('bare URLs become links, without the sentence’s full stop', () => {
  assert.equal(md('see https://example.org/x.'),
    '<p>see <a href="https://example.org/x" rel="noopener noreferrer nofollow" target="_blank">https://example.org/x</a>.</p>');
});

test('inline markup: code, strong, em, del; nothing is parsed inside code', () => {
  assert.equal(md('`**x**` **b** *e* _f_ ~~s~~'),
    '<p><code>**x**</code> <strong>b</strong> <em>e</em> <em>f</em> <del>s</del></p>');
  assert.equal(md('**a *b* c**'), '<p><strong>a <em>b</em> c</strong></p>');
  assert.equal(md('snake_case_name'), '<p>snake_case_name</p>');
});

test('headings start at h3 (the dialog has h2) and stop at h6', () => {
  assert.equal(md('# One'), '<h3>One</h3>');
  assert.equal(md('### Three ###'), '<h5>Three</h5>');
  assert.equal(md('###### Six'), '<h6>Six</h6>');
  assert.equal(md('#not a heading'), '<p>#not a heading</p>');
});

test('lists, quotes, rules and fenced code', () => {
  assert.equal(md('- a\n* b\n+ c'), '<ul><li>a</li><li>b</li><li>c</li></ul>');
  assert.equal(md('1. a\n2) b'), '<ol><li>a</li><li>b</li></ol>');
  assert.equal(md('> a\n> b'), '<blockquote><p>a<br>b</p></blockquote>');
  assert.equal(md('---'), '<hr>');
  assert.equal(md('```\n<b>x</b>\n  y\n```\nafter'), '<pre><code>&lt;b&gt;x&lt;/b&gt;\n  y</code></pre><p>after</p>');
  assert.equal(md('```\nnever closed'), '<pre><code>never closed</code></pre>');
});

test('paragraphs: lines joined by <br>, blank lines between; CRLF is a line end', () => {
  assert.equal(md('one\ntwo\r\n\r\nthree'), '<p>one<br>two</p><p>three</p>');
  assert.equal(md('text\n- item'), '<p>text</p><ul><li>item</li></ul>');
});

test('nothing, or only blank lines, renders nothing', () => {
  assert.equal(md(''), '');
  assert.equal(md('\n  \n'), '');
  assert.equal(md(null), '');
});
