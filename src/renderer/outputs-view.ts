/**
 * The outputs in the window (issues 12–15): the recording (Record/Stop, elapsed time, size,
 * folder, the files once stopped, "Open folder" in the desktop app, the formats) and Mark, then
 * OSC, LSL and MQTT, each with a switch, its live state as the service reports it (state, status
 * line, error and hint, counters) and its settings (validated as you type with the service's
 * schema, saved with set_config).
 *
 * Two places: a small panel in the sidebar (Record/Stop, Mark, each output's state at a glance)
 * and the Outputs tab (everything). What either shows comes from the service: a switch or the
 * Record button changes only when the reply or the next `server` message says so; a failed
 * command shows the service's error text next to what was clicked.
 */
import type { RecordFormat } from '../shared/outputs/recording-config.js';
import { RECORD_FORMATS } from '../shared/outputs/recording-config.js';
import type { RecordingResult } from '../shared/v2.js';
import { toWireError, type CommandClient } from './commands.js';
import { saveOutcome } from './config-form.js';
import { el, replaceChildren, setText } from './dom.js';
import type { WireError } from './errors.js';
import {
  DEFAULT_MARK_LABEL,
  OUTPUT_TITLES,
  SECTION_FIELDS,
  TOGGLE_OUTPUTS,
  checkSection,
  enabledFrom,
  outputView,
  recordingView,
  sectionToForm,
  toggleCommand,
  type SectionName,
  type SectionValues,
  type ToggleOutput,
} from './outputs-model.js';
import type { Store } from './store.js';

export interface OutputsViewDeps {
  store: Store;
  commands: CommandClient;
  /** Loads the config file's values again (after a save or a switch: config-view's reload). */
  reloadConfig: () => Promise<void>;
}

/** "Name failed: message — hint", the service's own words. */
function failureText(action: string, e: WireError): string {
  return `${action} failed: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
}

function errorBlock(testid: string): { root: HTMLElement; show(e: WireError | undefined, prefix?: string): void } {
  const message = el('span', { attrs: { 'data-testid': `${testid}-message` } });
  const hint = el('div', { class: 'output-hint', attrs: { 'data-testid': `${testid}-hint` } });
  const root = el('div', { class: 'output-error', attrs: { 'data-testid': testid, role: 'status' } }, message, hint);
  root.hidden = true;
  return {
    root,
    show(e, prefix = '') {
      root.hidden = e === undefined;
      setText(message, e ? `${prefix}${e.message}` : '');
      setText(hint, e?.hint ?? '');
      hint.hidden = !e?.hint;
    },
  };
}

export function mountOutputsView(roots: { quick: HTMLElement; panel: HTMLElement }, deps: OutputsViewDeps): void {
  const { store, commands } = deps;
  const canControl = () => (store.state.hello?.control ?? store.state.host === 'electron') && store.state.connection === 'open';
  const statusOf = (name: string) => store.state.outputs.find((o) => o.output === name);

  // --- recording ---------------------------------------------------------------------------
  let recBusy = false;
  /** The reply to this window's own record_start/record_stop (the server message follows). */
  let recReply: RecordingResult | undefined;
  const recButtons = [
    el('button', { class: 'primary', attrs: { type: 'button', 'data-testid': 'rec-button' }, text: 'Record' }),
    el('button', { class: 'primary', attrs: { type: 'button', 'data-testid': 'quick-rec-button' }, text: 'Record' }),
  ];
  const recState = el('span', { class: 'badge', attrs: { 'data-testid': 'rec-state' } });
  const quickRecState = el('span', { class: 'badge', attrs: { 'data-testid': 'quick-rec-state' } });
  const recElapsed = el('span', { class: 'rec-elapsed', attrs: { 'data-testid': 'rec-elapsed' } });
  const quickRecLine = el('span', { class: 'muted', attrs: { 'data-testid': 'quick-rec-line' } });
  const recSize = el('span', { attrs: { 'data-testid': 'rec-size' } });
  const recDetail = el('div', { class: 'muted output-detail', attrs: { 'data-testid': 'rec-detail' } });
  const recFolder = el('span', { class: 'mono', attrs: { 'data-testid': 'rec-folder' } });
  const openFolder = el('button', { class: 'link', attrs: { type: 'button', 'data-testid': 'rec-open-folder' }, text: 'Open folder' });
  const openResult = el('span', { class: 'muted', attrs: { 'data-testid': 'rec-open-result', role: 'status' } });
  // Only the desktop app can open a folder on this computer; a browser page cannot.
  openFolder.hidden = store.state.host !== 'electron';
  const recFiles = el('ul', { class: 'rec-files mono', attrs: { 'data-testid': 'rec-files' } });
  const recError = errorBlock('rec-error');
  const quickRecError = errorBlock('quick-rec-error');
  const recCommandError = el('div', { class: 'output-error', attrs: { 'data-testid': 'rec-command-error', role: 'alert' } });
  recCommandError.hidden = true;

  // --- mark --------------------------------------------------------------------------------
  const markLabel = el('input', { attrs: { type: 'text', maxlength: '256', placeholder: 'label (optional)', 'aria-label': 'Marker label', 'data-testid': 'mark-label', spellcheck: 'false' } });
  const markButton = el('button', { attrs: { type: 'button', 'data-testid': 'mark-button' }, text: 'Mark' });
  const markResult = el('div', { class: 'muted', attrs: { 'data-testid': 'mark-result', role: 'status' } });
  const lastMarker = el('div', { class: 'muted', attrs: { 'data-testid': 'last-marker' } });

  const formats = (): RecordFormat[] => RECORD_FORMATS.filter((f) => sectionValues.record[`formats.${f}`] === true);

  const onRecord = () => {
    const active = recordingView(statusOf('recorder'), store.state.recording).active;
    recBusy = true;
    recCommandError.hidden = true;
    render();
    const call = active ? commands.call('record_stop') : commands.call('record_start', formats().length > 0 ? { formats: formats() } : {});
    call
      .then((r) => {
        recReply = r as RecordingResult;
      })
      .catch((e: unknown) => {
        recCommandError.hidden = false;
        setText(recCommandError, failureText(active ? 'Stop' : 'Record', toWireError(e)));
      })
      .finally(() => {
        recBusy = false;
        render();
      });
  };
  for (const b of recButtons) b.addEventListener('click', onRecord);

  const mark = () => {
    const label = markLabel.value.trim() || DEFAULT_MARK_LABEL;
    markButton.disabled = true;
    commands
      .call('marker', { label })
      .then((r) => {
        const t = (r as { time?: unknown }).time;
        markResult.className = 'muted';
        setText(markResult, `Marked “${label}”${typeof t === 'number' ? ` at ${new Date(t).toLocaleTimeString('en-GB')}` : ''}.`);
        markLabel.value = '';
      })
      .catch((e: unknown) => {
        markResult.className = 'output-error';
        setText(markResult, failureText('Mark', toWireError(e)));
      })
      .finally(() => {
        markButton.disabled = !canControl();
      });
  };
  markButton.addEventListener('click', mark);
  markLabel.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') mark();
  });

  openFolder.addEventListener('click', () => {
    openFolder.disabled = true;
    setText(openResult, '');
    commands
      .desktop('open_recordings_folder')
      .then((r) => setText(openResult, `Opened ${(r as { folder?: unknown }).folder ?? 'the folder'}.`))
      .catch((e: unknown) => setText(openResult, failureText('Open folder', toWireError(e))))
      .finally(() => (openFolder.disabled = false));
  });

  // --- OSC, LSL, MQTT ----------------------------------------------------------------------
  interface OutputParts {
    name: ToggleOutput;
    toggle: HTMLButtonElement;
    state: HTMLElement;
    quickState: HTMLElement;
    detail: HTMLElement;
    counters: HTMLElement;
    error: ReturnType<typeof errorBlock>;
    commandError: HTMLElement;
    busy: boolean;
    section: HTMLElement;
  }
  const parts = new Map<ToggleOutput, OutputParts>();

  // --- settings forms ------------------------------------------------------------------------
  const sectionValues: Record<SectionName, SectionValues> = { osc: {}, lsl: {}, mqtt: {}, record: {} };
  const loadedValues: Record<SectionName, SectionValues | undefined> = { osc: undefined, lsl: undefined, mqtt: undefined, record: undefined };
  const sectionForms = new Map<SectionName, { form: HTMLFormElement; inputs: Map<string, HTMLInputElement | HTMLSelectElement>; errors: Map<string, HTMLElement>; save: HTMLButtonElement; result: HTMLElement; saving: boolean }>();

  const readForm = (name: SectionName): SectionValues => {
    const f = sectionForms.get(name)!;
    const out: SectionValues = {};
    for (const [key, input] of f.inputs) out[key] = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
    return out;
  };
  const writeForm = (name: SectionName, values: SectionValues) => {
    const f = sectionForms.get(name)!;
    for (const [key, input] of f.inputs) {
      const v = values[key];
      if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = v === true;
      else input.value = String(v ?? '');
    }
  };
  const validateSection = (name: SectionName) => {
    const f = sectionForms.get(name)!;
    sectionValues[name] = readForm(name);
    const check = checkSection(sectionValues[name], store.state.config, name);
    for (const [key, slot] of f.errors) setText(slot, check.errors.get(key) ?? '');
    for (const [key, input] of f.inputs) input.setAttribute('aria-invalid', String(check.errors.has(key)));
    const dirty = loadedValues[name] !== undefined && JSON.stringify(sectionValues[name]) !== JSON.stringify(loadedValues[name]);
    f.save.disabled = f.saving || !check.valid || !dirty || !canControl() || store.state.config === undefined;
    return check;
  };

  const buildForm = (name: SectionName): HTMLFormElement => {
    const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
    const errors = new Map<string, HTMLElement>();
    const slot = (key: string) => {
      const e = el('div', { class: 'field-error', attrs: { 'data-testid': `out-${name}-error-${key}`, 'aria-live': 'polite' } });
      errors.set(key, e);
      return e;
    };
    const rows = SECTION_FIELDS[name].map((f) => {
      const id = `out-${name}-${f.key.replace(/\./g, '-')}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (f.kind === 'select') input = el('select', { attrs: { id, 'data-testid': id } }, ...(f.options ?? []).map((o) => el('option', { attrs: { value: o }, text: o })));
      else input = el('input', { attrs: { id, 'data-testid': id, type: f.kind === 'checkbox' ? 'checkbox' : f.kind === 'password' ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false', ...(f.kind === 'number' ? { inputmode: 'numeric' } : {}), ...(f.placeholder ? { placeholder: f.placeholder } : {}) } });
      inputs.set(f.key, input);
      if (f.kind === 'checkbox') return el('div', { class: 'field' }, el('span', { class: 'label' }), el('div', { class: 'control' }, el('label', { class: 'check' }, input, f.label), f.help ? el('div', { class: 'help', text: f.help }) : null, slot(f.key)));
      return el('div', { class: 'field' }, el('label', { attrs: { for: id }, text: f.label }), el('div', { class: 'control' }, input, f.help ? el('div', { class: 'help', text: f.help }) : null, slot(f.key)));
    });
    const save = el('button', { attrs: { type: 'submit', 'data-testid': `out-${name}-save` }, text: 'Save' });
    const result = el('div', { class: 'form-result', attrs: { 'data-testid': `out-${name}-result`, role: 'status', 'aria-live': 'polite' } });
    const form = el('form', { class: 'config-form output-form', attrs: { novalidate: '', 'data-testid': `out-${name}-form` } }, ...rows, slot('form'), el('div', { class: 'form-actions' }, save, result));
    const entry = { form, inputs, errors, save, result, saving: false };
    sectionForms.set(name, entry);
    form.addEventListener('input', () => {
      setText(result, '');
      validateSection(name);
      if (name === 'record') render();
    });
    form.addEventListener('change', () => validateSection(name));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const check = validateSection(name);
      if (!check.valid || entry.saving || save.disabled) return;
      entry.saving = true;
      validateSection(name);
      result.className = 'form-result';
      setText(result, 'Saving…');
      commands
        .call('set_config', { config: { [name]: check.section } })
        .then(async (r) => {
          const outcome = saveOutcome(r);
          loadedValues[name] = undefined; // take the saved values
          await deps.reloadConfig();
          result.className = `form-result ${outcome.level}`;
          result.replaceChildren(el('strong', { text: outcome.title }), ...outcome.notes.map((n) => el('div', { text: n })));
        })
        .catch((e: unknown) => {
          result.className = 'form-result failed';
          setText(result, failureText('Saving', toWireError(e)));
        })
        .finally(() => {
          entry.saving = false;
          validateSection(name);
        });
    });
    return form;
  };

  const outputSection = (name: ToggleOutput): HTMLElement => {
    const toggle = el('button', { class: 'switch', attrs: { type: 'button', role: 'switch', 'aria-checked': 'false', 'data-testid': `output-${name}-switch`, 'aria-label': `${OUTPUT_TITLES[name]} on or off` } });
    const state = el('span', { class: 'badge', attrs: { 'data-testid': `output-${name}-state` } });
    const quickState = el('span', { class: 'badge', attrs: { 'data-testid': `quick-${name}-state` } });
    const detail = el('div', { class: 'muted output-detail', attrs: { 'data-testid': `output-${name}-detail` } });
    const counters = el('dl', { class: 'facts output-counters', attrs: { 'data-testid': `output-${name}-counters` } });
    const error = errorBlock(`output-${name}-error`);
    const commandError = el('div', { class: 'output-error', attrs: { 'data-testid': `output-${name}-command-error`, role: 'alert' } });
    commandError.hidden = true;
    const section = el(
      'fieldset',
      { class: 'section output-section', attrs: { 'data-testid': `output-${name}` } },
      el('legend', { text: OUTPUT_TITLES[name] }),
      el('div', { class: 'output-head' }, toggle, state, detail),
      error.root,
      commandError,
      counters,
      buildForm(name),
    );
    const p: OutputParts = { name, toggle, state, quickState, detail, counters, error, commandError, busy: false, section };
    parts.set(name, p);
    toggle.addEventListener('click', () => {
      const on = enabledFrom(statusOf(name), store.state.config, name);
      const command = toggleCommand(name, on);
      p.busy = true;
      commandError.hidden = true;
      render();
      commands
        .call(command)
        .then(() => deps.reloadConfig())
        .catch((e: unknown) => {
          commandError.hidden = false;
          setText(commandError, failureText(`Turning ${OUTPUT_TITLES[name]} ${on === true ? 'off' : 'on'}`, toWireError(e)));
        })
        .finally(() => {
          p.busy = false;
          render();
        });
    });
    return section;
  };

  // --- layout --------------------------------------------------------------------------------
  const quickOutputs = el('div', { class: 'quick-outputs' });
  const recordingSection = el(
    'fieldset',
    { class: 'section output-section', attrs: { 'data-testid': 'output-recorder' } },
    el('legend', { text: 'Recording' }),
    el('div', { class: 'output-head' }, recButtons[0], recState, recElapsed, recSize),
    recDetail,
    el('div', { class: 'rec-folder-line' }, el('span', { class: 'muted', text: 'Folder: ' }), recFolder, ' ', openFolder, ' ', openResult),
    recFiles,
    recError.root,
    recCommandError,
    el('div', { class: 'mark-row' }, markLabel, markButton),
    markResult,
    lastMarker,
    buildForm('record'),
  );
  const outputSections = TOGGLE_OUTPUTS.map(outputSection);
  roots.panel.replaceChildren(el('h2', { text: 'Outputs' }), el('div', { class: 'outputs-grid' }, recordingSection, ...outputSections));

  const quickMark = el('button', { attrs: { type: 'button', 'data-testid': 'quick-mark-button' }, text: 'Mark' });
  quickMark.addEventListener('click', mark);
  replaceChildren(
    quickOutputs,
    ...TOGGLE_OUTPUTS.map((n) => el('span', { class: 'quick-output' }, `${OUTPUT_TITLES[n]} `, parts.get(n)!.quickState)),
  );
  roots.quick.replaceChildren(
    el('div', { class: 'status-head' }, el('h2', { text: 'Recording' }), quickRecState),
    el('div', { class: 'quick-rec' }, recButtons[1], quickMark),
    quickRecLine,
    quickRecError.root,
    quickOutputs,
  );

  // --- rendering -------------------------------------------------------------------------------
  const badge = (e: HTMLElement, state: string, text: string) => {
    setText(e, text);
    e.className = `badge output-${state}`;
  };

  function render(): void {
    const s = store.state;
    const control = canControl();
    const rec = recordingView(statusOf('recorder'), s.recording ?? recReply);
    for (const b of recButtons) {
      setText(b, recBusy ? (rec.active ? 'Stopping…' : 'Starting…') : rec.button);
      b.classList.toggle('danger', rec.active);
      b.disabled = recBusy || !control;
    }
    badge(recState, rec.state, rec.stateText);
    badge(quickRecState, rec.state, rec.stateText);
    setText(recElapsed, rec.elapsed ?? '');
    setText(recSize, rec.size ?? '');
    setText(recDetail, rec.detail ?? '');
    setText(quickRecLine, rec.active || rec.state === 'stopped' ? [rec.elapsed, rec.size].filter(Boolean).join(' · ') : '');
    setText(recFolder, rec.folder ?? configuredFolder());
    replaceChildren(recFiles, ...rec.files.map((f) => el('li', { text: f })));
    recError.show(rec.error);
    quickRecError.show(rec.error);
    markButton.disabled = !control;
    quickMark.disabled = !control;
    const m = s.lastMarker;
    setText(lastMarker, m ? `Last marker: “${m.label}” at ${new Date(m.time).toLocaleTimeString('en-GB')} (from ${m.source}).` : '');

    for (const p of parts.values()) {
      const status = statusOf(p.name);
      const v = outputView(p.name, status, enabledFrom(status, s.config, p.name));
      p.toggle.setAttribute('aria-checked', String(v.on === true));
      setText(p.toggle, p.busy ? (v.on ? 'Turning off…' : 'Turning on…') : v.on ? 'On' : 'Off');
      p.toggle.disabled = p.busy || !control || v.on === undefined;
      badge(p.state, v.state, v.stateText);
      badge(p.quickState, v.state, v.stateText);
      setText(p.detail, v.detail ?? '');
      p.error.show(v.error);
      replaceChildren(p.counters, ...v.counters.flatMap(([k, n]) => [el('dt', { text: k }), el('dd', { text: n })]));
      p.counters.hidden = v.counters.length === 0;
    }
  }

  const configuredFolder = (): string => {
    const f = (store.state.config as { record?: { folder?: unknown } } | undefined)?.record?.folder;
    return typeof f === 'string' ? f : '~/ServerBIT/recordings';
  };

  store.subscribe((s, changed) => {
    if (changed.has('config') && s.config) {
      for (const name of ['record', ...TOGGLE_OUTPUTS] as SectionName[]) {
        const values = sectionToForm(s.config, name);
        const dirty = loadedValues[name] !== undefined && JSON.stringify(readForm(name)) !== JSON.stringify(loadedValues[name]);
        loadedValues[name] = values;
        if (!dirty) writeForm(name, values);
        validateSection(name);
      }
    }
    if (changed.has('hello') || changed.has('connection')) for (const name of sectionForms.keys()) validateSection(name);
    if (changed.has('outputs') || changed.has('recording') || changed.has('config') || changed.has('hello') || changed.has('connection') || changed.has('lastMarker')) render();
  });
}
