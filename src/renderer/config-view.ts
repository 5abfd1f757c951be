/**
 * The Settings tab: the config editor. Loads with get_config, validates as you type with the
 * shared validateConfig (message next to the field, Save disabled while invalid), saves with
 * set_config and shows the outcome.
 */
import { DEFAULT_LABELS, SAMPLING_RATES, type ServerBitConfig } from '../shared/config.js';
import type { CommandClient } from './commands.js';
import { CHANNEL_COUNT, LABEL_COUNT, checkForm, configFromResult, configToForm, isDirty, resultNotes, type ConfigFormValues, type FieldId } from './config-form.js';
import { el, replaceChildren, setText } from './dom.js';
import { describeError, type WireError } from './errors.js';
import { CommandError, toWireError } from './commands.js';
import type { Store } from './store.js';

export interface ConfigView {
  /** Puts an address into the Device field (the picker's "Use"). */
  useDevice(address: string): void;
  /** Loads the config from the service (get_config). */
  reload(): Promise<void>;
}

export function mountConfigView(root: HTMLElement, deps: { store: Store; commands: CommandClient }): ConfigView {
  const { store, commands } = deps;
  let base: ServerBitConfig | undefined;

  const errorSlots = new Map<FieldId, HTMLElement>();
  const slot = (id: FieldId) => {
    const e = el('div', { class: 'field-error', attrs: { 'data-testid': `error-${id}`, 'aria-live': 'polite' } });
    errorSlots.set(id, e);
    return e;
  };

  const device = el('input', { attrs: { id: 'cfg-device', type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'cfg-device', placeholder: 'simulator, 20:16:07:18:15:26, COM3, /dev/rfcomm0' } });
  const channelBoxes = Array.from({ length: CHANNEL_COUNT }, (_, i) => el('input', { attrs: { type: 'checkbox', id: `cfg-ch${i + 1}`, 'data-testid': `cfg-ch${i + 1}` } }));
  const rate = el('select', { attrs: { id: 'cfg-rate', 'data-testid': 'cfg-rate' } }, ...SAMPLING_RATES.map((r) => el('option', { attrs: { value: String(r) }, text: `${r} Hz` })));
  const port = el('input', { attrs: { id: 'cfg-port', type: 'text', inputmode: 'numeric', autocomplete: 'off', 'data-testid': 'cfg-port' } });
  const labels = Array.from({ length: LABEL_COUNT }, (_, i) =>
    el('input', { attrs: { type: 'text', id: `cfg-label${i}`, 'data-testid': `cfg-label${i}`, 'aria-label': `Label for ${DEFAULT_LABELS[i]}`, spellcheck: 'false' } }),
  );
  const network = el('input', { attrs: { type: 'checkbox', id: 'cfg-network', 'data-testid': 'cfg-network' } });
  const save = el('button', { class: 'primary', attrs: { type: 'submit', 'data-testid': 'cfg-save' }, text: 'Save' });
  const revert = el('button', { attrs: { type: 'button', 'data-testid': 'cfg-revert' }, text: 'Revert' });
  const result = el('div', { class: 'form-result', attrs: { 'data-testid': 'cfg-result', role: 'status', 'aria-live': 'polite' } });
  const readOnly = el('p', { class: 'note', text: 'This connection may not change settings.' });

  const field = (label: string, forId: string, control: Node, id: FieldId, help?: string) =>
    el('div', { class: 'field' }, el('label', { attrs: { for: forId }, text: label }), el('div', { class: 'control' }, control, help ? el('div', { class: 'help', text: help }) : null, slot(id)));

  const form = el(
    'form',
    { class: 'config-form', attrs: { novalidate: '', 'data-testid': 'config-form' } },
    field('Device', 'cfg-device', device, 'device', 'MAC address, serial port, host:port or “simulator”. The Devices tab finds and tests them.'),
    el(
      'div',
      { class: 'field' },
      el('span', { class: 'label', text: 'Channels' }),
      el(
        'div',
        { class: 'control' },
        el('div', { class: 'checks', attrs: { role: 'group', 'aria-label': 'Channels' } }, ...channelBoxes.map((b, i) => el('label', { class: 'check' }, b, `A${i + 1}`))),
        slot('channels'),
      ),
    ),
    field('Sampling rate', 'cfg-rate', rate, 'sampling_rate'),
    field('Port', 'cfg-port', port, 'port', 'WebSocket port clients connect to (classic ServerBIT: 9001).'),
    el(
      'div',
      { class: 'field' },
      el('span', { class: 'label', text: 'Labels' }),
      el(
        'div',
        { class: 'control' },
        el(
          'div',
          { class: 'labels-grid' },
          ...labels.map((input, i) => el('div', { class: 'label-cell' }, el('label', { attrs: { for: `cfg-label${i}` }, class: 'mini', text: DEFAULT_LABELS[i] }), input, slot(`labels.${i}`))),
        ),
        slot('labels'),
      ),
    ),
    el(
      'div',
      { class: 'field' },
      el('span', { class: 'label', text: 'Network' }),
      el(
        'div',
        { class: 'control' },
        el('label', { class: 'check' }, network, 'Allow other computers on the network'),
        el('div', { class: 'help', text: 'Off: only this computer can connect (127.0.0.1). On: listens on every network interface (0.0.0.0).' }),
        slot('host'),
      ),
    ),
    slot('form'),
    el('div', { class: 'form-actions' }, save, revert, result),
  );
  root.replaceChildren(el('h2', { text: 'Settings' }), readOnly, form);

  const read = (): ConfigFormValues => ({
    device: device.value,
    channels: channelBoxes.map((b) => b.checked),
    samplingRate: rate.value,
    port: port.value,
    labels: labels.map((l) => l.value),
    network: network.checked,
  });

  const write = (v: ConfigFormValues) => {
    device.value = v.device;
    channelBoxes.forEach((b, i) => (b.checked = v.channels[i]));
    rate.value = v.samplingRate;
    port.value = v.port;
    labels.forEach((l, i) => (l.value = v.labels[i]));
    network.checked = v.network;
  };

  let saving = false;
  const canControl = () => store.state.hello?.control ?? store.state.host === 'electron';

  const validateNow = () => {
    if (!base) {
      save.disabled = true;
      return;
    }
    const check = checkForm(read(), base);
    for (const [id, e] of errorSlots) setText(e, check.errors.get(id) ?? '');
    const invalidInputs: [FieldId, HTMLElement][] = [
      ['device', device],
      ['sampling_rate', rate],
      ['port', port],
      ['host', network],
      ...labels.map((l, i): [FieldId, HTMLElement] => [`labels.${i}`, l]),
    ];
    for (const [id, input] of invalidInputs) input.setAttribute('aria-invalid', String(check.errors.has(id)));
    form.classList.toggle('invalid', !check.valid);
    save.disabled = saving || !check.valid || !canControl() || store.state.connection !== 'open';
    revert.disabled = saving || !isDirty(read(), base);
    return check;
  };

  form.addEventListener('input', () => {
    setText(result, '');
    validateNow();
  });
  form.addEventListener('change', () => validateNow());

  /** Shows `config`; with keepEdits, fields the user has changed and not saved stay as they are. */
  const load = (config: ServerBitConfig, keepEdits = false) => {
    const edited = keepEdits && base !== undefined && isDirty(read(), base);
    base = config;
    if (!edited) write(configToForm(config));
    form.hidden = false;
    validateNow();
  };

  revert.addEventListener('click', () => {
    if (base) load(base);
    setText(result, '');
  });

  const showFailure = (e: WireError, action: string) => {
    const view = describeError(e, { action });
    result.className = 'form-result failed';
    replaceChildren(result, el('strong', { text: view.title }), el('span', { text: ` ${view.message}` }), view.hint ? el('div', { text: view.hint }) : null);
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const check = validateNow();
    if (!check || !check.valid || saving) return;
    saving = true;
    validateNow();
    result.className = 'form-result';
    setText(result, 'Saving…');
    commands
      .call('set_config', { config: check.patch as Partial<ServerBitConfig> })
      .then((r) => {
        const saved = configFromResult(r) ?? (check.config as unknown as ServerBitConfig);
        store.set({ config: saved });
        load(saved);
        result.className = 'form-result ok';
        result.replaceChildren(el('strong', { text: 'Saved.' }), ...resultNotes(r).map((n) => el('div', { text: n })));
      })
      .catch((e: unknown) => showFailure(toWireError(e), 'Saving'))
      .finally(() => {
        saving = false;
        validateNow();
      });
  });

  const reload = async () => {
    try {
      const r = await commands.call('get_config');
      const config = configFromResult(r);
      if (!config) throw new CommandError({ code: 'BAD_MESSAGE', message: 'ServerBIT sent a configuration this page does not understand.' });
      store.set({ config });
      // After a reconnect, keep what the user was typing.
      load(config, true);
      result.className = 'form-result';
      setText(result, '');
    } catch (e) {
      showFailure(toWireError(e), 'Loading the settings');
      validateNow();
    }
  };

  store.subscribe((s, changed) => {
    if (changed.has('hello') || changed.has('connection')) {
      // Without control there is no get_config either: say so instead of showing an empty form.
      readOnly.hidden = s.hello === undefined || canControl();
      if (!base) form.hidden = !canControl();
      validateNow();
    }
  });

  return {
    useDevice(address: string) {
      device.value = address;
      validateNow();
      device.focus();
    },
    reload,
  };
}
