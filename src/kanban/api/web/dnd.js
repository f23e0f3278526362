// Drag and drop with pointer events, so mouse, touch and pen work alike (the
// HTML5 drag-and-drop API does nothing on touch screens).
// Mouse: a drag starts after moving a few pixels. Touch: press and hold for a
// moment, then drag; a quick swipe still scrolls the page. Escape cancels.

const HOLD_MS = 250;
const SLOP = { mouse: 5, touch: 10 };
const EDGE = 48; // px from a scrollable edge where the view scrolls by itself
const SPEED = 14;

let active = null; // the drag in progress (or the press that may become one)
let quietUntil = 0;

export const isDragging = () => active?.started === true;
// The click that ends a drag must not also open the card.
export const justDropped = () => performance.now() < quietUntil;

// Keep the page still under a touch drag: the first cancelled touchmove stops panning.
document.addEventListener('touchmove', (e) => { if (active?.started) e.preventDefault(); }, { passive: false });
document.addEventListener('contextmenu', (e) => { if (active) e.preventDefault(); });

// options: handle and item (selectors), axis ('x' or 'y'), zone(x, y) -> the
// list under that point or null, items(zone) -> the elements it orders,
// drop({ item, zone, index }) when placed elsewhere, done() after every drag.
export function sortable(root, options) {
  root.addEventListener('pointerdown', (event) => press(event, root, options));
}

function press(event, root, o) {
  if (!event.isPrimary || event.button !== 0 || active?.event === event) return;
  const handle = event.target.closest(o.handle);
  if (!handle || !root.contains(handle)) return;
  const control = event.target.closest('button, input, textarea, select, a');
  if (control && control !== handle && handle.contains(control)) return;
  const item = handle.closest(o.item);
  if (!item) return;
  if (active) end(false); // a new press while one is active: that one's release was lost
  const touch = event.pointerType !== 'mouse';
  const { clientX: x, clientY: y } = event;
  active = { o, item, event, pointer: event.pointerId, x0: x, y0: y, x, y, touch, started: false };
  if (touch) active.timer = setTimeout(start, HOLD_MS, active);
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
  window.addEventListener('pointercancel', cancel);
  window.addEventListener('keydown', key, true);
}

function move(event) {
  const d = active;
  if (event.pointerId !== d.pointer) return;
  d.x = event.clientX;
  d.y = event.clientY;
  if (!d.started) {
    const far = Math.hypot(d.x - d.x0, d.y - d.y0) > (d.touch ? SLOP.touch : SLOP.mouse);
    if (far && d.touch) end(false); // moved before the hold: a scroll, not a drag
    else if (far) start(d);
    return;
  }
  event.preventDefault();
  follow(d);
}

function start(d) {
  if (active !== d || d.started) return;
  d.started = true;
  const rect = d.item.getBoundingClientRect();
  d.dx = d.x0 - rect.left;
  d.dy = d.y0 - rect.top;
  d.home = { zone: d.item.parentNode, next: d.item.nextSibling };
  d.homeIndex = d.o.items(d.home.zone).indexOf(d.item);
  d.ghost = d.item.cloneNode(true);
  // The ghost is a picture: it must not answer to the item's ids or be focusable.
  for (const el of [d.ghost, ...d.ghost.querySelectorAll('*')]) {
    for (const { name } of [...el.attributes]) {
      if (/^(id|tabindex|data-.*-id)$/.test(name)) el.removeAttribute(name);
    }
  }
  d.ghost.classList.add('drag-ghost');
  d.ghost.setAttribute('aria-hidden', 'true');
  d.ghost.style.width = `${rect.width}px`;
  d.ghost.style.height = `${rect.height}px`;
  document.body.append(d.ghost);
  d.item.classList.add('drag-source');
  document.body.classList.add('dragging');
  if (d.touch) navigator.vibrate?.(15);
  follow(d);
  requestAnimationFrame(() => scroll(d));
}

// Move the ghost with the pointer, and the item itself to where it would land.
function follow(d) {
  d.ghost.style.transform = `translate(${d.x - d.dx}px, ${d.y - d.dy}px)`;
  const zone = d.o.zone(d.x, d.y);
  if (!zone) return;
  const x = d.o.axis === 'x';
  const others = d.o.items(zone).filter((el) => el !== d.item);
  const before = others.find((el) => {
    const r = el.getBoundingClientRect();
    return x ? d.x < r.left + r.width / 2 : d.y < r.top + r.height / 2;
  });
  const anchor = before ?? (others.length ? others.at(-1).nextSibling : zone.firstChild);
  if (d.item.parentNode !== zone || d.item.nextSibling !== anchor) zone.insertBefore(d.item, anchor);
}

// Near the edge of a scrollable area (the board, a long column), scroll it.
function scroll(d) {
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
  if (moved) follow(d);
  requestAnimationFrame(() => scroll(d));
}

function up(event) {
  const d = active;
  if (event.pointerId !== d.pointer) return;
  if (!d.started) { end(false); return; }
  const zone = d.item.parentNode;
  const index = d.o.items(zone).indexOf(d.item);
  const moved = zone !== d.home.zone || index !== d.homeIndex;
  quietUntil = performance.now() + 400;
  end(moved);
  if (moved) d.o.drop({ item: d.item, zone, index });
}

function cancel(event) {
  if (event.pointerId === active.pointer) end(false);
}

function key(event) {
  if (event.key !== 'Escape' || !active?.started) return;
  event.preventDefault();
  event.stopPropagation();
  end(false);
}

function end(keep) {
  const d = active;
  active = null;
  clearTimeout(d.timer);
  window.removeEventListener('pointermove', move);
  window.removeEventListener('pointerup', up);
  window.removeEventListener('pointercancel', cancel);
  window.removeEventListener('keydown', key, true);
  if (!d.started) return;
  d.ghost.remove();
  d.item.classList.remove('drag-source');
  document.body.classList.remove('dragging');
  if (!keep) d.home.zone.insertBefore(d.item, d.home.next);
  d.o.done?.();
}
