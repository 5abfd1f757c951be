/**
 * The OSC output and the OSC control input as kinds of the outputs controller (controller.ts):
 * "osc" is on while the config's `osc.enabled` is true, "osc-in" while `osc.control.enabled` is
 * (docs/osc.md "Settings"). The control input drives devices through Acquisition, the one entry
 * point for control whoever asks (docs/architecture.md), so an OSC command and a /v2 command for
 * the same device run one after the other; its markers carry the source "osc".
 */
import { resolveOscInput, resolveOscOutput, type OscInputSettings, type OscOutputSettings } from '#shared/outputs/osc-config.js';
import type { Acquisition } from '../../acquisition/acquisition.js';
import type { OutputKind } from '../controller.js';
import type { OscControl } from './osc-input.js';

/** The control input's commands as calls on Acquisition. */
export function oscControlOf(acquisition: Acquisition): OscControl {
  return {
    devices: () => acquisition.ids(),
    outputs: (device, values) =>
      acquisition.command(device, (r) => {
        // A legacy board has four outputs: /<id>/trigger sets O1 and O2 and clears O3 and O4 (docs/osc.md).
        const legacy = acquisition.status(device).info?.board === 'legacy';
        return r.setOutputs(legacy ? [values[0], values[1], 0, 0] : [...values]);
      }),
    pwm: (device, duty) => acquisition.command(device, (r) => r.setPwm(duty)),
    start: (device) => acquisition.start(device),
    stop: (device) => acquisition.stop(device),
    marker: async (label, device) => {
      acquisition.mark({ label, ...(device !== undefined ? { device } : {}), source: 'osc' });
    },
  };
}

export interface OscKindOptions {
  /** ms between status updates of both (counters, datagrams/s). Default 1000. */
  statusIntervalMs?: number;
}

/** "osc" (the output, from the hub) and "osc-in" (the control input), in that order. */
export function oscOutputKinds(acquisition: Acquisition, options: OscKindOptions = {}): OutputKind[] {
  const interval = options.statusIntervalMs !== undefined ? { statusIntervalMs: options.statusIntervalMs } : {};
  const output: OutputKind<OscOutputSettings> = {
    name: 'osc',
    settings: (c) => resolveOscOutput(c.osc),
    // Loaded when turned on: an output nobody uses costs no memory.
    create: async (settings) => new (await import('./osc-output.js')).OscOutput({ hub: acquisition.hub, settings, ...interval }),
  };
  const input: OutputKind<OscInputSettings> = {
    name: 'osc-in',
    settings: (c) => resolveOscInput(c.osc),
    create: async (settings) => new (await import('./osc-input.js')).OscInput({ settings, control: oscControlOf(acquisition), ...interval }),
  };
  return [output as OutputKind, input as OutputKind];
}
