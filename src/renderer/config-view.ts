/**
 * The Settings tab: the selected device's settings (name, address, channels, rate, sensor per
 * channel, labels) and the service's (port, network). Loads the config file's values with
 * get_config (never this run's command-line flags, so a save cannot write them into the file),
 * validates as you type with the service's own schema (message next to the field, Save disabled
 * while invalid), saves with set_config (config-form.ts decides the shape) and says what came of
 * it: green only when saved and in effect.
 *
 * A config file with invalid settings (the service's `problem`): the fields show the file's own
 * values, marked, and Save stays off until each is given a valid value; a file that cannot be
 * read or parsed cannot be saved into at all, and the form says why.
 */
import type { Board } from '../shared/acquisition.js';
import { DEFAULT_LABELS, SAMPLING_RATES, type ServerBitConfig } from '../shared/config.js';
import { SENSOR_NAMES, SENSORS } from '../shared/sensors.js';
import type { ConfigProblem } from '../shared/v2.js';
import type { CommandClient } from './commands.js';
import { CommandError, toWireError } from './commands.js';
import { CHANNEL_COUNT, LABEL_COUNT, checkForm, configFromResult, configToForm, isDirty, saveOutcome, type ConfigFormValues, type EditTarget, type FieldId } from './config-form.js';
import { el, replaceChildren, setText } from './dom.js';
import { describeError, type WireError } from './errors.js';
import { deviceLabel, type Store } from './store.js';

export interface ConfigView {
  /** Puts an address into the Address field (the Devices tab's "Use for …"). */
  useDevice(address: string): void;
  /** Loads the config from the service (get_config). */
  reload(): Promise<void>;
}

export function mountConfigView(root: HTMLElement, deps: { store: Store; commands: CommandClient }): ConfigView {
  const { store, commands } = deps;
  let base: ServerBitConfig | undefined;
  /** The form as loaded (for Revert and "changed?"), and the device it is for. */
  let loaded: ConfigFormValues | undefined;
  let loadedFor: string | undefined;
  const touched = new Set<FieldId>();

  const errorSlots = new Map<FieldId, HTMLElement>();
  const slot = (id: FieldId) => {
    const e = el('div', { class: 'field-error', attrs: { 'data-testid': `error-${id}`, 'aria-live': 'polite' } });
    errorSlots.set(id, e);
    return e;
  };

  const heading = el('h2', { attrs: { 'data-testid': 'cfg-title' }, text: 'Settings' });
  const remove = el('button', { class: 'danger-outline', attrs: { type: 'button', 'data-testid': 'cfg-remove' }, text: 'Remove this device' });
  const name = el('input', { attrs: { id: 'cfg-name', type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '64', 'data-testid': 'cfg-name', placeholder: 'e.g. Left arm (empty: the address)' } });
  const device = el('input', { attrs: { id: 'cfg-device', type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'cfg-device', placeholder: 'simulator, 20:16:07:18:15:26, COM3, /dev/rfcomm0' } });
  const channelBoxes = Array.from({ length: CHANNEL_COUNT }, (_, i) => el('input', { attrs: { type: 'checkbox', id: `cfg-ch${i + 1}`, 'data-testid': `cfg-ch${i + 1}` } }));
  const rate = el('select', { attrs: { id: 'cfg-rate', 'data-testid': 'cfg-rate' } });
  const sensors = Array.from({ length: CHANNEL_COUNT }, (_, i) =>
    el(
      'select',
      { attrs: { id: `cfg-sensor${i + 1}`, 'data-testid': `cfg-sensor${i + 1}`, 'aria-label': `Sensor on A${i + 1}` } },
      ...SENSOR_NAMES.map((n) => el('option', { attrs: { value: n, title: SENSORS[n].title }, text: n })),
    ),
  );
  const port = el('input', { attrs: { id: 'cfg-port', type: 'text', inputmode: 'numeric', autocomplete: 'off', 'data-testid': 'cfg-port' } });
  const labels = Array.from({ length: LABEL_COUNT }, (_, i) =>
    el('input', { attrs: { type: 'text', id: `cfg-label${i}`, 'data-testid': `cfg-label${i}`, 'aria-label': `Label for ${DEFAULT_LABELS[i]}`, spellcheck: 'false' } }),
  );
  const network = el('input', { attrs: { type: 'checkbox', id: 'cfg-network', 'data-testid': 'cfg-network' } });
  const save = el('button', { class: 'primary', attrs: { type: 'submit', 'data-testid': 'cfg-save' }, text: 'Save' });
  const revert = el('button', { attrs: { type: 'button', 'data-testid': 'cfg-revert' }, text: 'Revert' });
  const result = el('div', { class: 'form-result', attrs: { 'data-testid': 'cfg-result', role: 'status', 'aria-live': 'polite' } });
  const readOnly = el('p', { class: 'note', text: 'This connection may not change settings.' });
  const unsaveable = el('p', { class: 'note', attrs: { 'data-testid': 'cfg-unsaveable' } });
  unsaveable.hidden = true;

  const field = (label: string, forId: string, control: Node, id: FieldId, help?: string) =>
    el('div', { class: 'field' }, el('label', { attrs: { for: forId }, text: label }), el('div', { class: 'control' }, control, help ? el('div', { class: 'help', text: help }) : null, slot(id)));
  const group = (label: string, content: Node, id: FieldId, help?: string) =>
    el('div', { class: 'field' }, el('span', { class: 'label', text: label }), el('div', { class: 'control' }, content, help ? el('div', { class: 'help', text: help }) : null, slot(id)));

  const form = el(
    'form',
    { class: 'config-form', attrs: { novalidate: '', 'data-testid': 'config-form' } },
    el(
      'fieldset',
      { class: 'section' },
      el('legend', { text: 'This device' }),
      field('Name', 'cfg-name', name, 'name', 'Shown in the window, the tray and recordings.'),
      field('Address', 'cfg-device', device, 'device', 'MAC address, serial port, host:port or “simulator”. The Devices tab finds and tests them.'),
      group('Channels', el('div', { class: 'checks', attrs: { role: 'group', 'aria-label': 'Channels' } }, ...channelBoxes.map((b, i) => el('label', { class: 'check' }, b, `A${i + 1}`))), 'channels'),
      field('Sampling rate', 'cfg-rate', rate, 'sampling_rate'),
      group(
        'Sensors',
        el('div', { class: 'sensors-grid' }, ...sensors.map((sel, i) => el('div', { class: 'label-cell' }, el('label', { attrs: { for: `cfg-sensor${i + 1}` }, class: 'mini', text: `A${i + 1}` }), sel, slot(`sensors.${i}`)))),
        'sensors',
        'What is plugged into each channel; it sets the unit of converted values. RAW: no conversion.',
      ),
      group(
        'Labels',
        el('div', { class: 'labels-grid' }, ...labels.map((input, i) => el('div', { class: 'label-cell' }, el('label', { attrs: { for: `cfg-label${i}` }, class: 'mini', text: DEFAULT_LABELS[i] }), input, slot(`labels.${i}`)))),
        'labels',
      ),
    ),
    el(
      'fieldset',
      { class: 'section' },
      el('legend', { text: 'ServerBIT (every device)' }),
      field('Port', 'cfg-port', port, 'port', 'WebSocket port clients connect to (classic ServerBIT: 9001).'),
      group(
        'Network',
        el('label', { class: 'check' }, network, 'Allow other computers on the network'),
        'host',
        'Off: only this computer can connect (127.0.0.1). On: listens on every network interface (0.0.0.0).',
      ),
    ),
    slot('form'),
    unsaveable,
    el('div', { class: 'form-actions' }, save, revert, result),
  );
  root.replaceChildren(el('div', { class: 'settings-head' }, heading, remove), readOnly, form);

  const read = (): ConfigFormValues => ({
    name: name.value,
    device: device.value,
    channels: channelBoxes.map((b) => b.checked),
    samplingRate: rate.value,
    labels: labels.map((l) => l.value),
    sensors: sensors.map((s) => s.value),
    port: port.value,
    network: network.checked,
  });

  /** The rate options, plus the file's own (invalid) value while it is shown. */
  const rateOptions = (value: string) => {
    const known = (SAMPLING_RATES as readonly number[]).map(String);
    const options = known.map((r) => el('option', { attrs: { value: r }, text: `${r} Hz` }));
    if (!known.includes(value)) options.unshift(el('option', { attrs: { value }, text: `${value} Hz (not allowed)` }));
    rate.replaceChildren(...options);
  };

  const write = (v: ConfigFormValues) => {
    name.value = v.name;
    device.value = v.device;
    channelBoxes.forEach((b, i) => (b.checked = v.channels[i]));
    rateOptions(v.samplingRate);
    rate.value = v.samplingRate;
    port.value = v.port;
    labels.forEach((l, i) => (l.value = v.labels[i]));
    sensors.forEach((s, i) => (s.value = v.sensors[i]));
    network.checked = v.network;
  };

  let saving = false;
  const canControl = () => store.state.hello?.control ?? store.state.host === 'electron';
  const problem = (): ConfigProblem | undefined => store.state.problem;
  const boardOf = (id: string | undefined): Board | undefined => (id === undefined ? undefined : (store.state.statuses[id]?.board ?? store.state.metas[id]?.board));
  const target = (): EditTarget => ({ id: loadedFor ?? store.state.device ?? '0', board: boardOf(loadedFor ?? store.state.device), deviceCount: store.state.devices.length });

  const inputs = (): [FieldId, HTMLElement][] => [
    ['name', name],
    ['device', device],
    ['sampling_rate', rate],
    ['port', port],
    ['host', network],
    ...labels.map((l, i): [FieldId, HTMLElement] => [`labels.${i}`, l]),
    ...sensors.map((s, i): [FieldId, HTMLElement] => [`sensors.${i}`, s]),
  ];

  const validateNow = () => {
    if (!base || !loaded) {
      save.disabled = true;
      return undefined;
    }
    const check = checkForm(read(), base, target(), problem()?.invalid ?? [], touched);
    for (const [id, e] of errorSlots) setText(e, check.errors.get(id) ?? '');
    for (const [id, input] of inputs()) input.setAttribute('aria-invalid', String(check.errors.has(id)));
    channelBoxes.forEach((b) => b.setAttribute('aria-invalid', String(check.errors.has('channels'))));
    form.classList.toggle('invalid', !check.valid);
    const p = problem();
    const blocked = p?.saveable === false;
    unsaveable.hidden = !blocked;
    if (blocked) setText(unsaveable, `Settings cannot be saved: ${p.message} Fix the file first; ServerBIT picks up the fix${store.state.host === 'electron' ? ' by itself' : ' when it restarts'}.`);
    save.disabled = saving || blocked || !check.valid || !canControl() || store.state.connection !== 'open';
    revert.disabled = saving || !isDirty(read(), loaded);
    return check;
  };

  const touch = (ev: Event) => {
    const t = ev.target as HTMLElement;
    const hit = inputs().find(([, input]) => input === t) ?? (channelBoxes.includes(t as HTMLInputElement) ? (['channels', t] as [FieldId, HTMLElement]) : undefined);
    if (!hit) return;
    const [id] = hit;
    touched.add(id);
    // An invalid setting is a key of the file: any of its fields counts.
    if (id.startsWith('labels.')) touched.add('labels');
    if (id.startsWith('sensors.')) touched.add('sensors');
  };
  form.addEventListener('input', (ev) => {
    touch(ev);
    setText(result, '');
    validateNow();
  });
  form.addEventListener('change', (ev) => {
    touch(ev);
    validateNow();
  });

  /** Shows device `id` of `config`; with keepEdits, edits of the same device not saved yet stay. */
  const load = (config: ServerBitConfig, keepEdits = false) => {
    const id = store.state.device;
    const sameDevice = id === loadedFor;
    const edited = keepEdits && sameDevice && loaded !== undefined && isDirty(read(), loaded);
    base = config;
    loadedFor = id;
    const values = configToForm(config, { id: id ?? '0', board: boardOf(id) }, problem()?.invalid ?? []);
    loaded = values;
    if (!edited) {
      write(values);
      touched.clear();
    }
    const several = store.state.devices.length > 1;
    setText(heading, several && id !== undefined ? `Settings · ${deviceLabel(store.state.statuses[id], id)}` : 'Settings');
    remove.hidden = !several;
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
    if (!check || !check.valid || saving || save.disabled) return;
    saving = true;
    validateNow();
    result.className = 'form-result';
    setText(result, 'Saving…');
    commands
      .call('set_config', { config: check.edit })
      .then(async (r) => {
        const outcome = saveOutcome(r);
        // The result holds the settings in effect (flags included): the form takes the file's values again.
        await reload(false);
        result.className = `form-result ${outcome.level}`;
        result.replaceChildren(el('strong', { text: outcome.title }), ...outcome.notes.map((n) => el('div', { text: n })));
      })
      .catch((e: unknown) => showFailure(toWireError(e), 'Saving'))
      .finally(() => {
        saving = false;
        validateNow();
      });
  });

  remove.addEventListener('click', () => {
    const id = loadedFor;
    if (id === undefined) return;
    remove.disabled = true;
    commands
      .call('remove_device', { device: id })
      .then(() => reload(false))
      .catch((e: unknown) => showFailure(toWireError(e), 'Removing the device'))
      .finally(() => (remove.disabled = false));
  });

  const reload = async (clearResult = true) => {
    try {
      const r = await commands.call('get_config');
      const config = configFromResult(r);
      if (!config) throw new CommandError({ code: 'BAD_MESSAGE', message: 'ServerBIT sent a configuration this page does not understand.' });
      const p = (r as { problem?: ConfigProblem }).problem;
      store.set({ config, problem: p ?? (store.state.problem?.code.startsWith('CONFIG_') ? undefined : store.state.problem) });
      // After a reconnect, keep what the user was typing.
      load(config, true);
      if (clearResult) {
        result.className = 'form-result';
        setText(result, '');
      }
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
    // Another device selected, or the set changed: show that device's settings.
    if ((changed.has('device') || changed.has('devices')) && base && s.device !== loadedFor) load(base);
    else if (changed.has('devices') && base) load(base, true);
    if (changed.has('problem') && base) {
      if (loaded && !isDirty(read(), loaded)) load(base);
      else validateNow();
    }
  });

  return {
    useDevice(address: string) {
      device.value = address;
      touched.add('device');
      validateNow();
      device.focus();
    },
    reload: () => reload(),
  };
}
