/**
 * The Devices tab: the devices ServerBIT runs (each with Remove, when there are several), then
 * the ports this computer has (list_ports: BITalinos first), the simulator and a manual address,
 * each with "Test" (test_device: connects, reads the firmware version, disconnects), "Add"
 * (add_device: a new device, saved to the config file) and "Use for <selected device>" (puts the
 * address into Settings for the selected device).
 */
import { SIMULATOR_DEVICE } from '../shared/config.js';
import { addressProblem } from './address.js';
import type { PortInfo } from '../shared/v2.js';
import { toWireError, type CommandClient } from './commands.js';
import { el, replaceChildren, setText } from './dom.js';
import { describeError } from './errors.js';
import { pickerEntries, portsFromResult, testOutcome, type PickerEntry, type TestOutcome } from './picker.js';
import { deviceLabel, type Store } from './store.js';

export interface PickerDeps {
  store: Store;
  commands: CommandClient;
  /** "Use for …": the address for the selected device, in Settings. */
  onUse: (address: string) => void;
  /** A device was added or removed (the settings reload). */
  onDevicesChanged: () => void;
}

export function mountPickerView(root: HTMLElement, deps: PickerDeps): { refresh(): Promise<void> } {
  const { commands, store } = deps;
  const mine = el('ul', { class: 'device-list', attrs: { 'data-testid': 'configured-devices' } });
  const mineResult = el('div', { class: 'test-result', attrs: { 'data-testid': 'configured-result', 'aria-live': 'polite' } });
  const list = el('ul', { class: 'device-list', attrs: { 'data-testid': 'device-list' } });
  const refreshButton = el('button', { attrs: { type: 'button', 'data-testid': 'picker-refresh' }, text: 'Refresh' });
  const listStatus = el('span', { class: 'muted', attrs: { 'data-testid': 'picker-status' } });
  const manual = el('input', { attrs: { type: 'text', id: 'picker-manual', 'data-testid': 'picker-manual', spellcheck: 'false', autocomplete: 'off', placeholder: '20:16:07:18:15:26, COM3, /dev/rfcomm0 or host:port' } });
  const manualResult = el('div', { class: 'test-result', attrs: { 'data-testid': 'picker-manual-result', 'aria-live': 'polite' } });
  const manualTest = el('button', { attrs: { type: 'button', 'data-testid': 'picker-manual-test' }, text: 'Test' });
  const manualUse = el('button', { attrs: { type: 'button', 'data-testid': 'picker-manual-use' }, text: 'Use' });
  const manualAdd = el('button', { attrs: { type: 'button', 'data-testid': 'picker-manual-add' }, text: 'Add' });
  const useHelp = el('p', { class: 'help', attrs: { 'data-testid': 'picker-help' } });

  root.replaceChildren(
    el('h2', { text: 'Your devices' }),
    el('p', { class: 'help', text: 'ServerBIT streams from all of these at once; each has its own settings. Select one in the list on the left to see it.' }),
    mine,
    mineResult,
    el('div', { class: 'picker-head' }, el('h2', { text: 'Find a device' }), refreshButton, listStatus),
    useHelp,
    list,
    el(
      'div',
      { class: 'manual' },
      el('label', { attrs: { for: 'picker-manual' }, text: 'Other address' }),
      el('div', { class: 'manual-row' }, manual, manualTest, manualAdd, manualUse),
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

  /** The trimmed address, or undefined after showing in `target` why it is not one (the Settings field's check, address.ts), before asking the service. */
  const checkedAddress = (address: string, target: HTMLElement): string | undefined => {
    const a = address.trim();
    const problem = a === '' ? 'Type an address first.' : addressProblem(a);
    if (problem === undefined) return a;
    showResult(target, { ok: false, error: { code: 'BAD_ARGUMENTS', message: problem }, steps: [] });
    return undefined;
  };

  const test = (address: string, target: HTMLElement, button: HTMLButtonElement) => {
    const a = checkedAddress(address, target);
    if (a === undefined) return;
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
    const use = el('button', { attrs: { type: 'button', 'data-testid': 'picker-use', title: 'Put this address into Settings for the selected device' }, text: 'Use', on: { click: () => deps.onUse(entry.address) } });
    const addButton = el('button', { attrs: { type: 'button', 'data-testid': 'picker-add', title: 'Add it as another device (saved to the config file)' }, text: 'Add' });
    addButton.addEventListener('click', () => add(entry.address, result, addButton));
    controls.push(testButton, addButton);
    return el(
      'li',
      { class: `device ${entry.kind}`, attrs: { 'data-address': entry.address } },
      el('div', { class: 'device-text' }, el('div', { class: 'device-title' }, entry.kind === 'bitalino' ? el('span', { class: 'tag', text: 'BITalino' }) : null, entry.title), entry.detail ? el('div', { class: 'device-detail mono', text: entry.detail }) : null),
      el('div', { class: 'device-actions' }, testButton, addButton, use),
      result,
    );
  };

  /** Buttons that need control (rows come and go with Refresh). */
  let controls: HTMLButtonElement[] = [];

  const add = (address: string, target: HTMLElement, button: HTMLButtonElement) => {
    const a = checkedAddress(address, target);
    if (a === undefined) return;
    button.disabled = true;
    target.className = 'test-result';
    setText(target, 'Adding…');
    commands
      .call('add_device', { device: { address: a } })
      .then((r) => {
        const id = typeof r === 'object' && r !== null && typeof (r as { device?: unknown }).device === 'string' ? (r as { device: string }).device : undefined;
        const saved = (r as { saved?: unknown }).saved !== false;
        target.className = saved ? 'test-result ok' : 'test-result warning';
        setText(target, `Added as device ${id ?? ''}${saved ? ' and saved to the config file' : ' for this run (the config file cannot be saved)'}.`);
        if (id !== undefined) store.set({ device: id });
        deps.onDevicesChanged();
      })
      .catch((e: unknown) => showResult(target, { ok: false, error: toWireError(e) }))
      .finally(() => (button.disabled = false));
  };

  const removeDevice = (id: string, button: HTMLButtonElement) => {
    button.disabled = true;
    commands
      .call('remove_device', { device: id })
      .then(() => {
        mineResult.className = 'test-result ok';
        setText(mineResult, `Removed device ${id} and saved the config file.`);
        deps.onDevicesChanged();
      })
      .catch((e: unknown) => showResult(mineResult, { ok: false, error: toWireError(e) }))
      .finally(() => (button.disabled = false));
  };

  const renderMine = () => {
    const s = store.state;
    const control = (s.hello?.control ?? s.host === 'electron') && s.connection === 'open';
    mine.replaceChildren(
      ...s.devices.map((id) => {
        const st = s.statuses[id];
        const removeButton = el('button', { attrs: { type: 'button', 'data-testid': 'picker-remove', title: 'Stop it and remove it from the config file' }, text: 'Remove' });
        removeButton.disabled = !control || s.devices.length < 2;
        if (s.devices.length < 2) removeButton.title = 'The only device cannot be removed: add another first, or change its address in Settings';
        removeButton.addEventListener('click', () => removeDevice(id, removeButton));
        return el(
          'li',
          { class: 'device configured', attrs: { 'data-device': id } },
          el('div', { class: 'device-text' }, el('div', { class: 'device-title' }, deviceLabel(st, id), id === s.device ? el('span', { class: 'tag selected', text: 'selected' }) : null), el('div', { class: 'device-detail mono', text: `${st?.address ?? ''} · id ${id}` })),
          el('div', { class: 'device-actions' }, removeButton),
        );
      }),
    );
    setText(useHelp, `Paired BITalinos are listed first. “Test” connects, reads the firmware version and disconnects; “Add” adds the device to those above; “Use” puts its address into Settings for ${s.device !== undefined ? deviceLabel(s.statuses[s.device], s.device) : 'the selected device'}.`);
  };

  const noneFound = el('li', { class: 'device none', attrs: { 'data-testid': 'picker-none' } }, el('div', { class: 'device-text muted', text: 'No paired BITalino found. Switch it on, pair it in the Bluetooth settings (PIN 1234), then Refresh; or type its address below.' }));
  const render = (ports: PortInfo[], listed = true) => {
    const entries = pickerEntries(ports);
    const none = listed && !entries.some((e) => e.kind === 'bitalino');
    controls = [];
    list.replaceChildren(...(none ? [noneFound] : []), ...entries.map(row));
    applyControl();
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
  manualAdd.addEventListener('click', () => add(manual.value, manualResult, manualAdd));
  manual.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') test(manual.value, manualResult, manualTest);
  });

  function applyControl(): void {
    const s = store.state;
    const control = (s.hello?.control ?? s.host === 'electron') && s.connection === 'open';
    for (const b of [manualTest, manualAdd, refreshButton, ...controls]) b.disabled = !control;
  }
  store.subscribe((s, changed) => {
    if (changed.has('hello') || changed.has('connection')) applyControl();
    if (changed.has('devices') || changed.has('statuses') || changed.has('device') || changed.has('hello') || changed.has('connection')) renderMine();
  });

  return { refresh };
}
