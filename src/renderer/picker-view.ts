/**
 * The Devices tab: ports from list_ports (BITalinos first), the simulator and a manual address,
 * each with "Test" (test_device: connects, reads the firmware version, disconnects) and "Use"
 * (puts the address into the config editor).
 */
import type { PortInfo, TestDeviceResult } from '../shared/v2.js';
import { toWireError, type CommandClient } from './commands.js';
import { el, replaceChildren, setText } from './dom.js';
import { describeError, type WireError } from './errors.js';
import { pickerEntries, type PickerEntry } from './picker.js';
import type { Store } from './store.js';
import { isObject, isWireError } from './validate.js';

/** list_ports' result: PortInfo[] or `{ ports: PortInfo[] }`; malformed entries are dropped. */
export function portsFromResult(result: unknown): PortInfo[] {
  const list = Array.isArray(result) ? result : isObject(result) && Array.isArray(result.ports) ? result.ports : [];
  return list
    .filter((p): p is PortInfo => isObject(p) && typeof p.path === 'string' && p.path.length > 0 && p.path.length < 512)
    .slice(0, 256)
    .map((p) => ({
      path: p.path,
      label: typeof p.label === 'string' ? p.label : p.path,
      isBitalino: p.isBitalino === true,
      ...(typeof p.mac === 'string' ? { mac: p.mac } : {}),
      ...(typeof p.manufacturer === 'string' ? { manufacturer: p.manufacturer } : {}),
    }));
}

export type TestOutcome = { ok: true; firmware: string; board?: string } | { ok: false; error: WireError; steps?: string[] };

/** test_device's result (or failure) as an outcome to show. */
export function testOutcome(result: unknown): TestOutcome {
  if (!isObject(result)) return { ok: false, error: { code: 'BAD_MESSAGE', message: 'ServerBIT sent a test result this page does not understand.' } };
  const r = result as Partial<TestDeviceResult> & Record<string, unknown>;
  const steps = Array.isArray(r.steps) ? r.steps.filter((s): s is string => typeof s === 'string').slice(0, 12) : undefined;
  if (r.ok === true && typeof r.firmware === 'string') return { ok: true, firmware: r.firmware, ...(typeof r.board === 'string' ? { board: r.board } : {}) };
  const error = isWireError(r.error) ? r.error : { code: 'DEVICE_NO_ANSWER', message: 'The device did not report a firmware version.' };
  return steps ? { ok: false, error, steps } : { ok: false, error };
}

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

  const render = (ports: PortInfo[]) => list.replaceChildren(...pickerEntries(ports).map(row));
  render([]);

  const refresh = async () => {
    refreshButton.disabled = true;
    setText(listStatus, 'Looking for ports…');
    try {
      const ports = portsFromResult(await commands.call('list_ports'));
      render(ports);
      const n = ports.filter((p) => p.isBitalino).length;
      setText(listStatus, `${ports.length} port${ports.length === 1 ? '' : 's'}, ${n} BITalino${n === 1 ? '' : 's'}`);
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
