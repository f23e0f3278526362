// @ts-check
// The board's members dialog: every member sees who may see or change the
// board; owners add people (picked from the users), change roles and remove
// members; anyone may leave.

import * as api from './api.js';
import { h, clear, toast, sentence } from './dom.js';
import { modal, confirmAction } from './dialogs.js';

/** @import { Member, Role, User } from './api.js' */

/**
 * What the dialog shows; given again whenever it changes.
 * @typedef {object} MembersView
 * @property {readonly Member[]} members  owners first
 * @property {boolean} canOwn  we may add, remove and change members
 */

/**
 * What the dialog needs from the board page.
 * @typedef {object} MembersOptions
 * @property {string} path  the board's, in the API
 * @property {User} me
 * @property {() => string} title  the board's, now
 * @property {MembersView} view
 * @property {() => Promise<void>} reload  fetch the members again (the page then shows them here)
 * @property {(leaving: boolean) => void} onLeaving  we are leaving: losing access is expected
 * @property {() => void} onClose
 */

/** @type {[Role, string][]} */
const ROLES = [['viewer', 'Viewer'], ['editor', 'Editor'], ['owner', 'Owner']];
const ROLE_NAMES = new Map(ROLES);

export class MembersDialog {
  /** @param {MembersOptions} options */
  constructor(options) {
    this.options = options;
    this.view = options.view;
    /** @type {User[] | null} everyone who could be added (owners only) */
    this.users = null;
    /** @type {{ user: HTMLSelectElement, role: HTMLSelectElement } | null} the add form's choices */
    this.picks = null;
    this.dialog = modal(`Members of “${options.title()}”`, { className: 'members-dialog', onClose: () => options.onClose() });
    this.list = h('ul', { class: 'member-list', 'aria-label': 'Members' });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.adding = h('form', { class: 'add-member', onsubmit: (event) => { event.preventDefault(); this.add(); } });
    this.dialog.append(h('div', { class: 'modal-body' },
      this.list, this.error, this.adding,
      h('p', { class: 'hint' }, 'Viewers see the board and its history; editors also change cards and columns; owners also rename and archive the board and choose its members.')));
    this.dialog.showModal();
    this.render();
    this.load();
  }

  get path() {
    return `${this.options.path}/members`;
  }

  async load() {
    if (this.view.canOwn && !this.users) {
      try {
        ({ users: this.users } = /** @type {{ users: User[] }} */ (await api.get('/users')));
      } catch (error) {
        this.fail('Could not load the users', error);
      }
    }
    await this.options.reload(); // shows them here too
  }

  /** @param {MembersView} view */
  show(view) {
    this.view = view;
    this.render();
  }

  render() {
    const me = this.options.me.user_id;
    const manage = this.view.canOwn;
    clear(this.list, this.view.members.map((member) => {
      const self = member.user_id === me;
      const who = member.display_name;
      const role = manage
        ? h('select', {
          class: 'member-role', 'aria-label': `Role of ${who}`,
          onchange: (event) => this.setRole(member, /** @type {HTMLSelectElement} */ (event.target).value),
        }, ROLES.map(([value, label]) => h('option', { value, selected: value === member.role }, label)))
        : h('span', { class: 'member-role' }, ROLE_NAMES.get(member.role) ?? member.role);
      let action = null;
      if (self) action = h('button', { type: 'button', onclick: () => this.leave() }, 'Leave');
      else if (manage) {
        action = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${who}`, onclick: () => this.remove(member) }, 'Remove');
      }
      return h('li', { class: 'member', dataset: { userId: member.user_id, role: member.role } },
        h('span', { class: 'member-name' }, h('strong', {}, who), ' ', h('span', { class: 'muted' }, `@${member.name}`),
          self ? h('span', { class: 'badge' }, 'you') : null),
        role, action);
    }));
    this.renderAdding(manage);
  }

  /** @param {boolean} manage */
  renderAdding(manage) {
    this.adding.hidden = !manage || !this.users;
    if (!manage || !this.users) return;
    // Drawn anew: keep what was being chosen.
    const chosen = this.picks?.user.value;
    const role = this.picks?.role.value ?? 'editor';
    const members = new Set(this.view.members.map((m) => m.user_id));
    const candidates = this.users.filter((u) => !members.has(u.user_id));
    if (!candidates.length) {
      this.picks = null;
      clear(this.adding, h('h3', {}, 'Add a member'), h('p', { class: 'muted' }, 'Every user is a member already.'));
      return;
    }
    const picks = {
      user: h('select', { name: 'user_id', required: true },
        candidates.map((u) => h('option', { value: u.user_id, selected: u.user_id === chosen }, `${u.display_name} (@${u.name})`))),
      role: h('select', { name: 'role' }, ROLES.map(([value, label]) => h('option', { value, selected: value === role }, label))),
    };
    this.picks = picks;
    clear(this.adding, h('h3', {}, 'Add a member'),
      h('div', { class: 'add-member-row' },
        h('label', { class: 'field' }, h('span', {}, 'User'), picks.user),
        h('label', { class: 'field' }, h('span', {}, 'Role'), picks.role),
        h('button', { type: 'submit', class: 'primary' }, 'Add')));
  }

  /**
   * @param {string} label
   * @param {unknown} error
   */
  fail(label, error) {
    if (api.statusOf(error) === 401) return; // signed out: the sign-in page says why
    this.error.hidden = false;
    this.error.textContent = `${label}: ${sentence(api.messageOf(error))}`;
  }

  /**
   * Send a change, then show the members as they are now (refused or not).
   * @param {string} label
   * @param {() => Promise<unknown>} send
   * @returns {Promise<boolean>}  whether it was made
   */
  async run(label, send) {
    this.error.hidden = true;
    let done = false;
    try {
      await send();
      done = true;
    } catch (error) {
      this.fail(label, error);
    }
    await this.options.reload();
    return done;
  }

  add() {
    const { picks } = this;
    if (!picks) return null;
    const name = picks.user.selectedOptions[0]?.textContent ?? 'the user';
    return this.run(`Adding ${name}`, () => api.post(this.path, { user_id: picks.user.value, role: picks.role.value }));
  }

  /**
   * @param {Member} member
   * @param {string} role
   */
  setRole(member, role) {
    return this.run(`Making ${member.display_name} ${role === 'owner' ? 'an' : 'a'} ${role}`,
      () => api.post(this.path, { user_id: member.user_id, role }));
  }

  /** @param {Member} member */
  async remove(member) {
    const yes = await confirmAction('Remove member',
      `Remove ${member.display_name} from “${this.options.title()}”? They will no longer see the board.`, 'Remove');
    if (yes) await this.run(`Removing ${member.display_name}`, () => api.del(`${this.path}/${encodeURIComponent(member.user_id)}`));
  }

  async leave() {
    const title = this.options.title();
    const yes = await confirmAction('Leave board', `Leave “${title}”? You will no longer see it unless an owner adds you again.`, 'Leave');
    if (!yes) return;
    const { me } = this.options;
    this.options.onLeaving(!me.admin); // an admin still sees every board
    const left = await this.run('Leaving', () => api.del(`${this.path}/${encodeURIComponent(me.user_id)}`));
    if (!left || me.admin) {
      this.options.onLeaving(false);
      return;
    }
    this.close();
    toast(`You left “${title}”.`);
    location.hash = '#/';
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }
}
