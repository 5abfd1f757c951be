/**
 * The LSL output's settings (docs/lsl.md §11). Their type, defaults and rules are the config's
 * `lsl` section (src/shared/outputs/lsl-config.ts, the one definition); this module is the
 * output's programmatic entry: camelCase settings (tests, the benchmark) checked by the same
 * schema as the file, so a bad value is a ConfigError naming the file's key (`lsl.backlog_s`).
 */
import { LSL_DEFAULTS, lslConfigFromSettings, lslSettingsFromConfig, type LslSettings } from '#shared/outputs/lsl-config.js';

export { LSL_DEFAULTS, lslSettingsFromConfig, type LslSettings };

/** Defaults for what is missing; throws ConfigError (LSL_INVALID_SETTING) naming the first bad key as the file spells it. */
export function resolveLslSettings(partial: Partial<LslSettings> = {}): LslSettings {
  return lslSettingsFromConfig(lslConfigFromSettings(partial));
}
