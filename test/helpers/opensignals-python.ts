/**
 * The real readers' rules, run with Debian's Python (python3-numpy, python3-h5py; .ci/run installs
 * them): for a text file what NeuroKit2, opensignalsreader and biosignalsnotebooks do with it
 * (json.loads / ast.literal_eval of line 2, numpy.loadtxt of the rows), and whether Python's
 * json.dumps gives the header back byte for byte; for an .h5, everything h5py sees.
 */
import { execFile } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

const TEXT_SCRIPT = String.raw`
import ast, json, sys, numpy as np
path = sys.argv[1]
with open(path, 'rb') as f:
    raw = f.read()
lines = raw.split(b'\n')
line2 = lines[1].decode('ascii')
obj = json.loads(line2[2:])
out = {
  'dumps_equal': json.dumps(obj) == line2[2:],
  'literal_eval_equal': ast.literal_eval(line2.split('# ')[1]) == obj,
}
data = np.loadtxt(path)  # what opensignalsreader and biosignalsnotebooks do: comments '#' skipped
data = np.atleast_2d(data)
out['shape'] = list(data.shape)
out['data'] = data.astype(int).tolist()
print(json.dumps(out))
`;

const H5_SCRIPT = String.raw`
import json, sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
def val(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.ndarray): return [val(x) for x in v.tolist()]
    if isinstance(v, (np.integer,)): return int(v)
    if isinstance(v, (np.floating,)): return float(v)
    if isinstance(v, list): return [val(x) for x in v]
    return v
def attrs(o):
    def one(k):
        t = o.attrs.get_id(k).dtype
        si = h5py.check_string_dtype(t)
        return {'value': val(o.attrs[k]), 'dtype': 'vlen-str' if si is not None and si.length is None else str(t), 'shape': list(o.attrs.get_id(k).shape)}
    return {k: one(k) for k in o.attrs.keys()}
out = {'superblock': f.id.get_create_plist().get_version()[0], 'root_attrs': list(f.attrs.keys()), 'groups': {}}
for key in f.keys():
    g = f[key]
    d = {'attrs': attrs(g), 'members': sorted(g.keys()), 'datasets': {}}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            d['datasets'][name] = {'dtype': str(obj.dtype), 'shape': list(obj.shape), 'maxshape': [m if m is not None else -1 for m in obj.maxshape], 'chunks': list(obj.chunks) if obj.chunks else None, 'attrs': attrs(obj), 'values': obj[()].reshape(-1).tolist() if obj.ndim == 2 and obj.shape[1] == 1 else None, 'records': [{n: val(r[n]) for n in obj.dtype.names} for r in obj[()]] if obj.dtype.names else None}
    g.visititems(visit)
    out['groups'][key] = d
print(json.dumps(out))
`;

function run(script: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', script, path], { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python failed on ${path}: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

export interface PythonTextView {
  dumps_equal: boolean;
  literal_eval_equal: boolean;
  shape: [number, number];
  data: number[][];
}

export function pythonReadText(path: string): Promise<PythonTextView> {
  return run(TEXT_SCRIPT, path) as Promise<PythonTextView>;
}

export interface H5Attr {
  value: unknown;
  /** numpy dtype name, or 'vlen-str' for a variable-length string. */
  dtype: string;
  shape: number[];
}
export interface H5Dataset {
  dtype: string;
  shape: number[];
  maxshape: number[];
  chunks: number[] | null;
  attrs: Record<string, H5Attr>;
  values: number[] | null;
  /** A compound dataset's records, each field decoded (bytes as UTF-8 text). */
  records: Record<string, unknown>[] | null;
}
export interface PythonH5View {
  superblock: number;
  root_attrs: string[];
  groups: Record<string, { attrs: Record<string, H5Attr>; members: string[]; datasets: Record<string, H5Dataset> }>;
}

export function pythonReadH5(path: string): Promise<PythonH5View> {
  return run(H5_SCRIPT, path) as Promise<PythonH5View>;
}

/** Python's json.dumps of a JSON text (the reference for the header line). */
export function pythonJsonDumps(json: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], (err, stdout, stderr) => {
      if (err) reject(new Error(stderr || err.message));
      else resolve(stdout);
    });
    child.stdin!.end(json);
  });
}
