// Stands in, in the CLI bundle only, for the three packages `conf` imports for two options
// ServerBIT never passes: `schema` (ajv, ajv-formats; ServerBIT validates with TypeBox, in
// src/shared/config.ts) and `migrations` (semver). They were ~400 KB of the bundle's ~830 KB,
// parsed and run on every start (docs/performance.md "Launch"). If a future change passed either
// option, conf would reach one of these and the CLI's tests, which all run the bundle, would fail
// here with this message instead of validating nothing.
const unused = (what) => {
  throw new Error(`bundle-cli: conf's ${what} was used, but the CLI bundle leaves it out (scripts/bundle-cli.mjs); stop passing that option or bundle the package`);
};
export class Ajv2020 {
  constructor() {
    unused('schema option (ajv)');
  }
}
export default Object.assign(() => unused('schema option (ajv-formats)'), {
  eq: () => unused('migrations option (semver)'),
  clean: () => unused('migrations option (semver)'),
  satisfies: () => unused('migrations option (semver)'),
  lte: () => unused('migrations option (semver)'),
  gt: () => unused('migrations option (semver)'),
});
