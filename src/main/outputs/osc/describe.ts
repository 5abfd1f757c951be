/**
 * One line each for the start-up output (cli.ts): where OSC goes and in which form, and where the
 * control input listens (docs/osc.md). Pure.
 */
import type { OscInputSettings, OscOutputSettings } from '#shared/outputs/osc-config.js';
import { CONTROL_VERBS } from './control-commands.js';

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** "OSC → 127.0.0.1:8000: /<id>/bitalino, one message per sample (nSeq I1 I2 O1 O2 A1…), every sample, raw values". */
export function describeOscOutput(s: OscOutputSettings): string {
  const to = s.destinations.map((d) => hostPort(d.host, d.port)).join(', ');
  const form = s.addresses === 'consolidated' ? '/<id>/bitalino, one message per sample (its columns as floats)' : '/<id>/bitalino/<column>, one message per column and sample';
  const rate = s.maxRate > 0 ? `at most ${s.maxRate} samples/s per device` : 'every sample';
  const values = s.values === 'converted' ? 'in the sensors\' units' : 'raw values';
  return `OSC → ${to}: ${form}, ${rate}, ${values}`;
}

/** "OSC control: listening on 127.0.0.1:12000 for /<id>/trigger, /<id>/pwm, …, /marker". */
export function describeOscInput(s: OscInputSettings, bound?: { address: string; port: number }): string {
  const at = bound ? hostPort(bound.address, bound.port) : hostPort(s.host, s.port);
  return `OSC control: listening on ${at} for ${CONTROL_VERBS.map((v) => `/<id>/${v}`).join(', ')} and /marker`;
}
