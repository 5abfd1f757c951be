/**
 * OSC address parts for device ids and column names (docs/osc.md "Addresses"). OSC 1.0 reserves
 * space, # * , / ? [ ] { } in an address part (they are pattern syntax or separators), so a device
 * id such as "/dev/rfcomm0" or a label with a space would otherwise make an address no receiver
 * can match: each such character becomes "_". Parts are cut to 64 characters.
 */

const RESERVED = /[\s#*,/?[\]{}\u0000-\u001f\u007f]/g;
const MAX_PART = 64;

/** `s` as one OSC address part: reserved characters replaced by "_", at most 64 characters, never empty. */
export function addressPart(s: string): string {
  const part = s.slice(0, MAX_PART).replace(RESERVED, '_');
  return part.length > 0 ? part : '_';
}

/** `/<id>/bitalino`: every device's base address, whatever its kind (the original's address). */
export function deviceAddress(device: string): string {
  return `/${addressPart(device)}/bitalino`;
}

/** `/<id>/bitalino/<column>`. */
export function columnAddress(device: string, column: string): string {
  return `${deviceAddress(device)}/${addressPart(column)}`;
}
