// Just enough of a DOM for the modules that build elements with dom.js's h()
// (markdown.js, board-render.js) to run under node, and a way to read what
// they built back as HTML. Not a test file itself (see node --test's patterns).

class FakeNode {}

class FakeText extends FakeNode {
  constructor(text) {
    super();
    this.text = String(text);
  }

  get textContent() {
    return this.text;
  }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.childNodes = [];
    this.dataset = {};
    this.className = '';
    this.listeners = {};
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.get(name) ?? null;
  }

  addEventListener(type, listener) {
    (this.listeners[type] ??= []).push(listener);
  }

  append(...nodes) {
    for (const node of nodes) {
      if (node instanceof FakeFragment) this.childNodes.push(...node.childNodes.splice(0));
      else this.childNodes.push(node instanceof FakeNode ? node : new FakeText(node));
    }
  }

  replaceChildren(...nodes) {
    this.childNodes = [];
    this.append(...nodes);
  }

  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  get textContent() {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  // Every element below this one, depth first.
  *descendants() {
    for (const child of this.children) {
      yield child;
      yield* child.descendants();
    }
  }
}

class FakeFragment extends FakeElement {
  constructor() {
    super('#fragment');
  }
}

export function installFakeDom() {
  globalThis.Node = FakeNode;
  globalThis.document = {
    createElement: (tag) => new FakeElement(tag),
    createDocumentFragment: () => new FakeFragment(),
  };
}

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// The node as HTML: text escaped, attributes in the order set (class first).
export function html(node) {
  if (node instanceof FakeText) return escape(node.text);
  const inner = node.childNodes.map(html).join('');
  if (node instanceof FakeFragment) return inner;
  const tag = node.tagName.toLowerCase();
  const attrs = [];
  if (node.className) attrs.push(`class="${escape(node.className)}"`);
  for (const [name, value] of Object.entries(node.dataset)) attrs.push(`data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escape(value)}"`);
  for (const [name, value] of node.attributes) attrs.push(value === '' ? name : `${name}="${escape(value)}"`);
  if (node.hidden) attrs.push('hidden');
  const open = `<${[tag, ...attrs].join(' ')}>`;
  return ['br', 'hr'].includes(tag) ? open : `${open}${inner}</${tag}>`;
}
