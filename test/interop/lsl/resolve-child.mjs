// Resolves LSL streams with the real liblsl in a process of its own, so it can use an lsl_api.cfg
// other than the suite's (liblsl reads its configuration once per process). Used by
// discovery.test.ts. Environment: LIBLSL, LSLAPICFG; argv: prop value timeout.
// Prints one JSON line: [{ "uid", "name", "sourceId" }, …].
import koffi from 'koffi';

const [prop, value, timeout] = process.argv.slice(2);
const lib = koffi.load(process.env.LIBLSL);
const resolve = lib.func('int lsl_resolve_byprop(void *buffer, uint32_t n, const char *prop, const char *value, int minimum, double timeout)');
const str = (name) => lib.func(`const char *${name}(void *info)`);
const getUid = str('lsl_get_uid');
const getName = str('lsl_get_name');
const getSourceId = str('lsl_get_source_id');
const size = koffi.sizeof('void *');
const buf = Buffer.alloc(16 * size);
const n = resolve(buf, 16, prop, value, 1, Number(timeout));
const out = [];
for (let i = 0; i < n; i++) {
  const h = koffi.decode(buf, i * size, 'void *');
  out.push({ uid: getUid(h), name: getName(h), sourceId: getSourceId(h) });
}
process.stdout.write(JSON.stringify(out) + '\n');
