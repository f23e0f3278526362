// The board's members dialog: every member sees who may see or change the
// board; owners add people (picked from the users), change roles and remove
// members; anyone may leave.

import * as api from './api.js';
import * as session from './session.js';
import { h, clear, toast, sentence } from './dom.js';
import { modal, confirmAction } from './dialogs.js';

const ROLES = [['viewer', 'Viewer'], ['editor', 'Editor'], ['owner', 'Owner']];
const ROLE_NAMES = Object.fromEntries(ROLES);

export class MembersDialog {
  constructor(page) {
    this.page = page;
    this.users = null; // everyone who could be added (owners only)
    this.dialog = modal(`Members of “${page.board.title}”`, { className: 'members-dialog', onClose: () => page.membersClosed(this) });
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
    return `${this.page.path}/members`;
  }

  async load() {
    if (this.page.canOwn && !this.users) {
      try {
        ({ users: this.users } = await api.get('/users'));
      } catch (error) {
        this.fail('Could not load the users', error);
      }
    }
    await this.page.loadMembers(); // renders this dialog too
  }

  render() {
    const me = session.user()?.user_id;
    const manage = this.page.canOwn;
    clear(this.list, this.page.members.map((member) => {
      const self = member.user_id === me;
      const who = member.display_name;
      const role = manage
        ? h('select', {
          class: 'member-role', 'aria-label': `Role of ${who}`,
          onchange: (event) => this.setRole(member, event.target.value),
        }, ROLES.map(([value, label]) => h('option', { value, selected: value === member.role }, label)))
        : h('span', { class: 'member-role' }, ROLE_NAMES[member.role] ?? member.role);
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

  renderAdding(manage) {
    this.adding.hidden = !manage || !this.users;
    if (this.adding.hidden) return;
    const chosen = this.adding.elements.user_id?.value;
    const role = this.adding.elements.role?.value ?? 'editor';
    const members = new Set(this.page.members.map((m) => m.user_id));
    const candidates = this.users.filter((u) => !members.has(u.user_id));
    if (!candidates.length) {
      clear(this.adding, h('h3', {}, 'Add a member'), h('p', { class: 'muted' }, 'Every user is a member already.'));
      return;
    }
    clear(this.adding, h('h3', {}, 'Add a member'),
      h('div', { class: 'add-member-row' },
        h('label', { class: 'field' }, h('span', {}, 'User'),
          h('select', { name: 'user_id', required: true },
            candidates.map((u) => h('option', { value: u.user_id, selected: u.user_id === chosen }, `${u.display_name} (@${u.name})`)))),
        h('label', { class: 'field' }, h('span', {}, 'Role'),
          h('select', { name: 'role' }, ROLES.map(([value, label]) => h('option', { value, selected: value === role }, label)))),
        h('button', { type: 'submit', class: 'primary' }, 'Add')));
  }

  fail(label, error) {
    if (error.status === 401) return; // signed out: the sign-in page says why
    this.error.hidden = false;
    this.error.textContent = `${label}: ${sentence(error.message)}`;
  }

  // Send a change, then show the members as they are now (refused or not).
  async run(label, send) {
    this.error.hidden = true;
    let done = false;
    try {
      await send();
      done = true;
    } catch (error) {
      this.fail(label, error);
    }
    await this.page.loadMembers();
    return done;
  }

  add() {
    const { user_id: user, role } = this.adding.elements;
    const name = user.selectedOptions[0]?.textContent ?? 'the user';
    return this.run(`Adding ${name}`, () => api.post(this.path, { user_id: user.value, role: role.value }));
  }

  setRole(member, role) {
    return this.run(`Making ${member.display_name} ${role === 'owner' ? 'an' : 'a'} ${role}`,
      () => api.post(this.path, { user_id: member.user_id, role }));
  }

  async remove(member) {
    const yes = await confirmAction('Remove member',
      `Remove ${member.display_name} from “${this.page.board.title}”? They will no longer see the board.`, 'Remove');
    if (yes) await this.run(`Removing ${member.display_name}`, () => api.del(`${this.path}/${encodeURIComponent(member.user_id)}`));
  }

  async leave() {
    const title = this.page.board.title;
    const yes = await confirmAction('Leave board', `Leave “${title}”? You will no longer see it unless an owner adds you again.`, 'Leave');
    if (!yes) return;
    const me = session.user();
    this.page.leaving = !me.admin; // an admin still sees every board
    const left = await this.run('Leaving', () => api.del(`${this.path}/${encodeURIComponent(me.user_id)}`));
    if (!left || me.admin) {
      this.page.leaving = false;
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
