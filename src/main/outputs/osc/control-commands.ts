/**
 * The OSC control addresses (docs/osc.md "Control input") and their arguments, checked. Pure.
 *
 *   /<id>/trigger O1 O2 [pwm]   digital outputs; each value a number (> 0.5 is on, the original's
 *                               rule, so Pd's 0./1. and Max's 0/1 both work) or T/F; an optional
 *                               third value sets the PWM too (the original's [O1, O2, pwm])
 *   /<id>/pwm duty              PWM duty 0..255 (rounded)
 *   /<id>/start, /<id>/stop     acquisition; arguments are ignored
 *   /<id>/marker [label…]       a marker on that device; /marker [label…] marks every device
 *
 * `<id>` is the device's id as it appears in the output's addresses (docs/osc.md "Addresses").
 * OSC address patterns (* ? [ ] { }) are refused: a command names one device.
 */
import type { WireError } from '#shared/acquisition.js';
import type { InboundMessage } from './packet.js';

export type ControlCommand =
  | { kind: 'outputs'; device: string; values: [0 | 1, 0 | 1] }
  | { kind: 'pwm'; device: string; duty: number }
  | { kind: 'start'; device: string }
  | { kind: 'stop'; device: string }
  | { kind: 'marker'; device?: string; label: string };

export type ParsedControl = { ok: true; commands: ControlCommand[] } | { ok: false; error: WireError };

export const CONTROL_VERBS = ['trigger', 'pwm', 'start', 'stop', 'marker'] as const;
export const MAX_MARKER_LABEL = 128;
const PATTERN_CHARS = /[*?[\]{}]/;
const MAX_ADDRESS = 200;

const bad = (message: string, hint: string): ParsedControl => ({ ok: false, error: { code: 'BAD_ARGUMENTS', message, hint } });

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Buffer.isBuffer(v)) return `a blob of ${v.length} bytes`;
  return String(v);
}

/** A digital output value: a finite number (> 0.5 = on) or a boolean; undefined otherwise. */
function bit(v: unknown): 0 | 1 | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return v > 0.5 ? 1 : 0;
  return undefined;
}

/** Checks one message; `resolve` maps the address part to a device id (undefined: no such device). */
export function parseControl(msg: InboundMessage, resolve: (part: string) => string | undefined): ParsedControl {
  const address = msg.address.length > MAX_ADDRESS ? `${msg.address.slice(0, MAX_ADDRESS)}…` : msg.address;
  const parts = msg.address.split('/');
  if (parts[0] !== '' || parts.length < 2 || parts.length > 3 || parts.some((p, i) => i > 0 && p === '')) {
    return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `unknown OSC address ${show(address)}`, hint: 'Control addresses are /<id>/trigger, /<id>/pwm, /<id>/start, /<id>/stop, /<id>/marker and /marker (docs/osc.md).' } };
  }
  if (parts.length === 2) {
    if (parts[1] !== 'marker') {
      return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `unknown OSC address ${show(address)}`, hint: 'Control addresses are /<id>/trigger, /<id>/pwm, /<id>/start, /<id>/stop, /<id>/marker and /marker (docs/osc.md).' } };
    }
    return { ok: true, commands: [{ kind: 'marker', label: markerLabel(msg.args) }] };
  }
  const [, part, verb] = parts;
  if (!(CONTROL_VERBS as readonly string[]).includes(verb)) {
    return { ok: false, error: { code: 'UNKNOWN_COMMAND', message: `unknown OSC command ${show(address)}; known: ${CONTROL_VERBS.join(', ')}`, hint: 'See "Control input" in docs/osc.md.' } };
  }
  if (PATTERN_CHARS.test(part)) return bad(`${show(address)} is an address pattern; a command names one device`, 'Send one message per device, e.g. /0/trigger.');
  const device = resolve(part);
  if (device === undefined) return bad(`no device ${show(part)} (in ${show(address)})`, 'Use the id that appears in the OSC output\'s addresses, e.g. /0/… for the first device.');
  const args = msg.args;
  switch (verb) {
    case 'trigger': {
      if (args.length !== 2 && args.length !== 3) return bad(`${address} has ${args.length} arguments; allowed: O1 O2, or O1 O2 pwm`, 'Send two numbers (0 or 1), e.g. /0/trigger 1 0.');
      const o1 = bit(args[0]);
      const o2 = bit(args[1]);
      if (o1 === undefined || o2 === undefined) return bad(`${address} ${args.map(show).join(' ')}: O1 and O2 must be numbers (0 or 1) or T/F`, 'Send two numbers, e.g. /0/trigger 1 0.');
      const commands: ControlCommand[] = [{ kind: 'outputs', device, values: [o1, o2] }];
      if (args.length === 3) {
        const duty = dutyOf(args[2]);
        if (duty === undefined) return bad(`${address}: the third value, pwm, is ${show(args[2])}; allowed: 0 to 255`, 'Send /0/trigger O1 O2 with a PWM duty from 0 to 255, or use /0/pwm.');
        commands.push({ kind: 'pwm', device, duty });
      }
      return { ok: true, commands };
    }
    case 'pwm': {
      const duty = args.length === 1 ? dutyOf(args[0]) : undefined;
      if (duty === undefined) return bad(`${address} ${args.map(show).join(' ')}: allowed: one number from 0 to 255`, 'Send e.g. /0/pwm 128.');
      return { ok: true, commands: [{ kind: 'pwm', device, duty }] };
    }
    case 'start':
    case 'stop':
      return { ok: true, commands: [{ kind: verb, device }] };
    default:
      return { ok: true, commands: [{ kind: 'marker', device, label: markerLabel(args) }] };
  }
}

function dutyOf(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  const duty = Math.round(v);
  return duty >= 0 && duty <= 255 ? duty : undefined;
}

/** Strings and numbers joined by spaces, control characters removed, at most 128 characters; "osc" when empty. */
function markerLabel(args: readonly unknown[]): string {
  const words: string[] = [];
  let length = 0;
  for (const a of args) {
    if (length > MAX_MARKER_LABEL) break;
    if (typeof a === 'string') words.push(a.slice(0, MAX_MARKER_LABEL + 1));
    else if (typeof a === 'number' && Number.isFinite(a)) words.push(String(a));
    else continue;
    length += words[words.length - 1].length + 1;
  }
  const label = words.join(' ').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_MARKER_LABEL);
  return label.length > 0 ? label : 'osc';
}
