// @ts-check
// Drag and drop with pointer events, so mouse, touch and pen work alike (the
// HTML5 drag-and-drop API does nothing on touch screens).
// Mouse: a drag starts after moving a few pixels. Touch: press and hold for a
// moment, then drag; a quick swipe still scrolls the page. Escape cancels.

/**
 * What a sortable list needs to say. zone(x, y): the list under that point,
 * or null; items(zone): the elements it orders; drop: the item was placed
 * elsewhere (at index in zone); done: after every drag, placed or not.
 * @typedef {object} SortableOptions
 * @property {string} handle  selector of what a drag starts on
 * @property {string} item  selector of what moves (the handle's ancestor)
 * @property {'x' | 'y'} axis
 * @property {(x: number, y: number) => Element | null} zone
 * @property {(zone: Element) => Element[]} items
 * @property {(drop: { item: HTMLElement, zone: Element, index: number }) => void} drop
 * @property {() => void} [done]
 */

/**
 * A press that may become a drag; `drag` once it has.
 * @typedef {object} Press
 * @property {SortableOptions} o
 * @property {HTMLElement} item
 * @property {PointerEvent} event
 * @property {number} pointer
 * @property {number} x0
 * @property {number} y0
 * @property {number} x
 * @property {number} y
 * @property {boolean} touch
 * @property {number} [timer]
 * @property {Drag} [drag]
 */

/**
 * @typedef {object} Drag
 * @property {HTMLElement} ghost  the picture that follows the pointer
 * @property {number} dx  where the pointer holds the item
 * @property {number} dy
 * @property {{ zone: ParentNode, next: ChildNode | null }} home  where the item was
 * @property {number} homeIndex
 */

const HOLD_MS = 250;
const SLOP = { mouse: 5, touch: 10 };
const EDGE = 48; // px from a scrollable edge where the view scrolls by itself
const SPEED = 14;

/** @type {Press | null} the drag in progress (or the press that may become one) */
let active = null;
let quietUntil = 0;

export const isDragging = () => active?.drag != null;
// The click that ends a drag must not also open the card.
export const justDropped = () => performance.now() < quietUntil;

// Keep the page still under a touch drag: the first cancelled touchmove stops panning.
document.addEventListener('touchmove', (e) => { if (active?.drag) e.preventDefault(); }, { passive: false });
document.addEventListener('contextmenu', (e) => { if (active) e.preventDefault(); });

/**
 * Make the items in root sortable by dragging.
 * @param {HTMLElement} root
 * @param {SortableOptions} options
 */
export function sortable(root, options) {
  root.addEventListener('pointerdown', (event) => press(event, root, options));
}

/**
 * @param {PointerEvent} event
 * @param {HTMLElement} root
 * @param {SortableOptions} o
 */
function press(event, root, o) {
  if (!event.isPrimary || event.button !== 0 || active?.event === event) return;
  if (!(event.target instanceof Element)) return;
  const handle = event.target.closest(o.handle);
  if (!handle || !root.contains(handle)) return;
  const control = event.target.closest('button, input, textarea, select, a');
  if (control && control !== handle && handle.contains(control)) return;
  const item = handle.closest(o.item);
  if (!(item instanceof HTMLElement)) return;
  if (active) end(false); // a new press while one is active: that one's release was lost
  const touch = event.pointerType !== 'mouse';
  const { clientX: x, clientY: y } = event;
  /** @type {Press} */
  const pressed = { o, item, event, pointer: event.pointerId, x0: x, y0: y, x, y, touch };
  active = pressed;
  if (touch) pressed.timer = setTimeout(start, HOLD_MS, pressed);
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
  window.addEventListener('pointercancel', cancel);
  window.addEventListener('keydown', key, true);
}

/** @param {PointerEvent} event */
function move(event) {
  const d = active;
  if (!d || event.pointerId !== d.pointer) return;
  d.x = event.clientX;
  d.y = event.clientY;
  if (!d.drag) {
    const far = Math.hypot(d.x - d.x0, d.y - d.y0) > (d.touch ? SLOP.touch : SLOP.mouse);
    if (far && d.touch) end(false); // moved before the hold: a scroll, not a drag
    else if (far) start(d);
    return;
  }
  event.preventDefault();
  follow(d, d.drag);
}

/** @param {Press} d */
function start(d) {
  const zone = d.item.parentNode;
  if (active !== d || d.drag || !zone) return;
  const rect = d.item.getBoundingClientRect();
  const ghost = /** @type {HTMLElement} */ (d.item.cloneNode(true));
  // The ghost is a picture: it must not answer to the item's ids or be focusable.
  for (const el of [ghost, ...ghost.querySelectorAll('*')]) {
    for (const { name } of [...el.attributes]) {
      if (/^(id|tabindex|data-.*-id)$/.test(name)) el.removeAttribute(name);
    }
  }
  ghost.classList.add('drag-ghost');
  ghost.setAttribute('aria-hidden', 'true');
  ghost.style.width = `${rect.width}px`;
  ghost.style.height = `${rect.height}px`;
  const drag = {
    ghost, dx: d.x0 - rect.left, dy: d.y0 - rect.top,
    home: { zone, next: d.item.nextSibling },
    homeIndex: zone instanceof Element ? d.o.items(zone).indexOf(d.item) : -1,
  };
  d.drag = drag;
  document.body.append(ghost);
  d.item.classList.add('drag-source');
  document.body.classList.add('dragging');
  if (d.touch) navigator.vibrate?.(15);
  follow(d, drag);
  requestAnimationFrame(() => scroll(d, drag));
}

/**
 * Move the ghost with the pointer, and the item itself to where it would land.
 * @param {Press} d
 * @param {Drag} drag
 */
function follow(d, drag) {
  drag.ghost.style.transform = `translate(${d.x - drag.dx}px, ${d.y - drag.dy}px)`;
  const zone = d.o.zone(d.x, d.y);
  if (!zone) return;
  const x = d.o.axis === 'x';
  const others = d.o.items(zone).filter((el) => el !== d.item);
  const before = others.find((el) => {
    const r = el.getBoundingClientRect();
    return x ? d.x < r.left + r.width / 2 : d.y < r.top + r.height / 2;
  });
  const last = others.at(-1);
  const anchor = before ?? (last ? last.nextSibling : zone.firstChild);
  if (d.item.parentNode !== zone || d.item.nextSibling !== anchor) zone.insertBefore(d.item, anchor);
}

/**
 * Near the edge of a scrollable area (the board, a long column), scroll it.
 * @param {Press} d
 * @param {Drag} drag
 */
function scroll(d, drag) {
  if (active !== d) return;
  let el = document.elementFromPoint(d.x, d.y);
  let moved = false;
  for (; el && el !== document.body; el = el.parentElement) {
    const r = el.getBoundingClientRect();
    const before = [el.scrollLeft, el.scrollTop];
    if (el.scrollWidth > el.clientWidth) {
      if (d.x < r.left + EDGE) el.scrollLeft -= SPEED;
      else if (d.x > r.right - EDGE) el.scrollLeft += SPEED;
    }
    if (el.scrollHeight > el.clientHeight) {
      if (d.y < r.top + EDGE) el.scrollTop -= SPEED;
      else if (d.y > r.bottom - EDGE) el.scrollTop += SPEED;
    }
    moved ||= before[0] !== el.scrollLeft || before[1] !== el.scrollTop;
  }
  if (moved) follow(d, drag);
  requestAnimationFrame(() => scroll(d, drag));
}

/** @param {PointerEvent} event */
function up(event) {
  const d = active;
  if (!d || event.pointerId !== d.pointer) return;
  const zone = d.item.parentElement;
  if (!d.drag || !zone) { end(false); return; }
  const index = d.o.items(zone).indexOf(d.item);
  const moved = zone !== d.drag.home.zone || index !== d.drag.homeIndex;
  quietUntil = performance.now() + 400;
  end(moved);
  if (moved) d.o.drop({ item: d.item, zone, index });
}

/** @param {PointerEvent} event */
function cancel(event) {
  if (event.pointerId === active?.pointer) end(false);
}

/** @param {KeyboardEvent} event */
function key(event) {
  if (event.key !== 'Escape' || !active?.drag) return;
  event.preventDefault();
  event.stopPropagation();
  end(false);
}

/** @param {boolean} keep  leave the item where it was dropped (else put it back) */
function end(keep) {
  const d = active;
  active = null;
  if (!d) return;
  clearTimeout(d.timer);
  window.removeEventListener('pointermove', move);
  window.removeEventListener('pointerup', up);
  window.removeEventListener('pointercancel', cancel);
  window.removeEventListener('keydown', key, true);
  const { drag } = d;
  if (!drag) return;
  drag.ghost.remove();
  d.item.classList.remove('drag-source');
  document.body.classList.remove('dragging');
  if (!keep) drag.home.zone.insertBefore(d.item, drag.home.next);
  d.o.done?.();
}
