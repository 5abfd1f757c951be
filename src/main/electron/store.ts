/**
 * `~/ServerBIT/config.json` in the app. ConfigStore (src/main/config) reads, validates, creates
 * and saves it, exactly as for the headless service: same file, same rules, never clobbering a
 * file it could not parse. electron-store (a thin wrapper over the same `conf`; it imports
 * electron, hence this folder) is opened on the same file to hear about edits made outside the
 * app, e.g. after "Open config folder"; see electronStoreOptions for why that can never write.
 */
import fs from 'node:fs';
import ElectronStore from 'electron-store';
import { ConfigStore } from '../config/config-store.js';
import { electronStoreOptions } from '../desktop/desktop-config.js';

export function openConfigStore(configFile: string): ConfigStore {
  return ConfigStore.open({ path: configFile });
}

/**
 * Calls `onChange` (debounced by conf: about 1 s on Linux, 100 ms elsewhere) whenever the file
 * changes on disk, including after our own saves (the caller compares with what runs). Returns
 * the function that stops watching. Does nothing when the file does not exist (conf would create
 * it to watch it) or cannot be watched.
 */
export function watchConfigFile(configFile: string, onChange: () => void, onError: (error: unknown) => void): () => void {
  if (!fs.existsSync(configFile)) return () => undefined;
  let store: ElectronStore<Record<string, unknown>>;
  try {
    store = new ElectronStore<Record<string, unknown>>(electronStoreOptions(configFile));
  } catch (error) {
    onError(error);
    return () => undefined;
  }
  const listener = () => onChange();
  store.events.addEventListener('change', listener);
  return () => {
    store.events.removeEventListener('change', listener);
    store._closeWatcher();
  };
}
