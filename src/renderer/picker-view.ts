/**
 * The Devices tab: ports from list_ports (BITalinos first), the simulator and a manual address,
 * each with "Test" (test_device: connects, reads the firmware version, disconnects) and "Use"
 * (puts the address into the config editor).
 */
import { SIMULATOR_DEVICE } from '../shared/config.js';
import type { PortInfo } from '../shared/v2.js';
import { toWireError, type CommandClient } from './commands.js';
import { el, replaceChildren, setText } from './dom.js';
import { describeError } from './errors.js';
import { pickerEntries, portsFromResult, testOutcome, type PickerEntry, type TestOutcome } from './picker.js';
import type { Store } from './store.js';

export function mountPickerView(root: HTMLElement, deps: { store: Store; commands: CommandClient; onUse: (address: string) => void }): { refresh(): Promise<void> } {
  const { commands, store } = deps;
  const list = el('ul', { class: 'device-list', attrs: { 'data-testid': 'device-list' } });
  const refreshButton = el('button', { attrs: { type: 'button', 'data-testid': 'picker-refresh' }, text: 'Refresh' });
  const listStatus = el('span', { class: 'muted', attrs: { 'data-testid': 'picker-status' } });
  const manual = el('input', { attrs: { type: 'text', id: 'picker-manual', 'data-testid': 'picker-manual', spellcheck: 'false', autocomplete: 'off', placeholder: '20:16:07:18:15:26, COM3, /dev/rfcomm0 or host:port' } });
  const manualResult = el('div', { class: 'test-result', attrs: { 'data-testid': 'picker-manual-result', 'aria-live': 'polite' } });
  const manualTest = el('button', { attrs: { type: 'button', 'data-testid': 'picker-manual-test' }, text: 'Test' });
  const manualUse = el('button', { attrs: { type: 'button', 'data-testid': 'picker-manual-use' }, text: 'Use' });

  root.replaceChildren(
    el('div', { class: 'picker-head' }, el('h2', { text: 'Devices' }), refreshButton, listStatus),
    el('p', { class: 'help', text: 'Paired BITalinos are listed first. “Test” connects, reads the firmware version and disconnects; “Use” puts the address into Settings.' }),
    list,
    el(
      'div',
      { class: 'manual' },
      el('label', { attrs: { for: 'picker-manual' }, text: 'Other address' }),
      el('div', { class: 'manual-row' }, manual, manualTest, manualUse),
      manualResult,
    ),
  );

  const showResult = (target: HTMLElement, outcome: TestOutcome | 'testing') => {
    if (outcome === 'testing') {
      target.className = 'test-result';
      setText(target, 'Testing… (a Bluetooth connection can take up to 10 s)');
      return;
    }
    if (outcome.ok) {
      target.className = 'test-result ok';
      const board = outcome.board === 'revolution' ? ' ((r)evolution)' : outcome.board === 'legacy' ? ' (legacy)' : '';
      target.replaceChildren(el('strong', { text: 'Found: ' }), `firmware ${outcome.firmware}${board}`);
      return;
    }
    const view = describeError(outcome.error, { steps: outcome.steps });
    target.className = 'test-result failed';
    replaceChildren(
      target,
      el('strong', { text: view.title }),
      el('div', { text: view.message }),
      view.hint ? el('div', { text: view.hint }) : null,
      view.steps.length > 0 ? el('ol', {}, ...view.steps.map((s) => el('li', { text: s }))) : null,
    );
  };

  const test = (address: string, target: HTMLElement, button: HTMLButtonElement) => {
    const a = address.trim();
    if (a === '') {
      showResult(target, { ok: false, error: { code: 'BAD_ARGUMENTS', message: 'Type an address first.' }, steps: [] });
      return;
    }
    button.disabled = true;
    showResult(target, 'testing');
    commands
      .call('test_device', { device: a })
      .then((r) => showResult(target, testOutcome(r)))
      .catch((e: unknown) => showResult(target, { ok: false, error: toWireError(e) }))
      .finally(() => (button.disabled = false));
  };

  const row = (entry: PickerEntry) => {
    const result = el('div', { class: 'test-result', attrs: { 'aria-live': 'polite' } });
    const testButton = el('button', { attrs: { type: 'button', 'data-testid': 'picker-test' }, text: 'Test' });
    testButton.addEventListener('click', () => test(entry.address, result, testButton));
    const use = el('button', { attrs: { type: 'button', 'data-testid': 'picker-use' }, text: 'Use', on: { click: () => deps.onUse(entry.address) } });
    return el(
      'li',
      { class: `device ${entry.kind}`, attrs: { 'data-address': entry.address } },
      el('div', { class: 'device-text' }, el('div', { class: 'device-title' }, entry.kind === 'bitalino' ? el('span', { class: 'tag', text: 'BITalino' }) : null, entry.title), entry.detail ? el('div', { class: 'device-detail mono', text: entry.detail }) : null),
      el('div', { class: 'device-actions' }, testButton, use),
      result,
    );
  };

  const noneFound = el('li', { class: 'device none', attrs: { 'data-testid': 'picker-none' } }, el('div', { class: 'device-text muted', text: 'No paired BITalino found. Switch it on, pair it in the Bluetooth settings (PIN 1234), then Refresh; or type its address below.' }));
  const render = (ports: PortInfo[], listed = true) => {
    const entries = pickerEntries(ports);
    const none = listed && !entries.some((e) => e.kind === 'bitalino');
    list.replaceChildren(...(none ? [noneFound] : []), ...entries.map(row));
  };
  render([], false);

  const refresh = async () => {
    refreshButton.disabled = true;
    setText(listStatus, 'Looking for ports…');
    try {
      const ports = portsFromResult(await commands.call('list_ports'));
      render(ports);
      const real = ports.filter((p) => p.path !== SIMULATOR_DEVICE);
      const n = real.filter((p) => p.isBitalino).length;
      setText(listStatus, `${real.length} serial port${real.length === 1 ? '' : 's'}, ${n} BITalino${n === 1 ? '' : 's'}`);
    } catch (e) {
      setText(listStatus, `Could not list ports: ${toWireError(e).message}`);
    } finally {
      refreshButton.disabled = false;
    }
  };

  refreshButton.addEventListener('click', () => void refresh());
  manualTest.addEventListener('click', () => test(manual.value, manualResult, manualTest));
  manualUse.addEventListener('click', () => manual.value.trim() && deps.onUse(manual.value.trim()));
  manual.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') test(manual.value, manualResult, manualTest);
  });

  store.subscribe((s, changed) => {
    if (!changed.has('hello') && !changed.has('connection')) return;
    const control = (s.hello?.control ?? s.host === 'electron') && s.connection === 'open';
    for (const b of [manualTest, refreshButton]) b.disabled = !control;
  });

  return { refresh };
}
