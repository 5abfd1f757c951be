/**
 * Loads h5wasm (HDF5 compiled to WebAssembly; the Node build reaches the host file system through
 * Emscripten's NODERAWFS) once per process, ready to use:
 * - Electron's main process (and Node 21+) define `navigator`, which makes Emscripten think it
 *   runs in a browser; h5wasm's README says to hide it while the module initialises.
 * - HDF5 errors are turned into exceptions: by default the library prints them to stderr and
 *   h5wasm carries on, so a write on a full disk would fail silently.
 * Shared by the recorder (outputs/) and the playback reader (devices/): a leaf every room of the
 * main process may use, as log.ts is (docs/architecture.md), so the library is set up once.
 */
export type H5wasm = typeof import('h5wasm/node').default;
export type H5Module = Awaited<H5wasm['ready']>;

let loading: Promise<{ h5: H5wasm; module: H5Module }> | undefined;
let loaded: { h5: H5wasm; module: H5Module } | undefined;

/** The module once loadH5wasm() has resolved; throws before. */
export function loadedH5wasm(): { h5: H5wasm; module: H5Module } {
  if (!loaded) throw new Error('h5wasm is not loaded yet: await loadH5wasm() first');
  return loaded;
}

export function loadH5wasm(): Promise<{ h5: H5wasm; module: H5Module }> {
  loading ??= (async () => {
    const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    if (nav?.configurable) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });
    try {
      const h5 = (await import('h5wasm/node')).default;
      const module = await h5.ready;
      module.activate_throwing_error_handler();
      loaded = { h5, module };
      return loaded;
    } finally {
      if (nav?.configurable) Object.defineProperty(globalThis, 'navigator', nav);
    }
  })();
  return loading;
}
