/**
 * A tiny `debug`-style namespaced logger (namespaces as in the `debug` package) so the streaming code can log state
 * changes without a dependency. Debug lines are printed only when the `DEBUG` environment
 * variable selects the namespace, with the `debug` package's syntax: comma- or space-separated
 * patterns, `*` as a wildcard, a leading `-` to exclude (`DEBUG=serverbit:*,-serverbit:hub`).
 * Warnings are always printed: they flag bugs (a subscriber that throws), not traffic.
 * Everything goes to stderr so stdout stays clean for the CLI's `LISTENING` line
 * (docs/original-serverbit.md §2).
 */
import { formatWithOptions } from 'node:util';

export interface Logger {
  readonly namespace: string;
  /** True when DEBUG selects this namespace; check it before building expensive messages. */
  readonly enabled: boolean;
  /** printf-style (`util.format`), printed only when enabled. */
  debug(format: string, ...args: unknown[]): void;
  /** printf-style, always printed. */
  warn(format: string, ...args: unknown[]): void;
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?');
  return new RegExp(`^${escaped}$`);
}

/** Whether a DEBUG value selects a namespace (exclusions win, as in `debug`). */
export function debugEnabled(namespace: string, debugEnv: string | undefined): boolean {
  if (!debugEnv) return false;
  let included = false;
  for (const raw of debugEnv.split(/[\s,]+/)) {
    if (!raw) continue;
    if (raw.startsWith('-')) {
      if (patternToRegExp(raw.slice(1)).test(namespace)) return false;
    } else if (patternToRegExp(raw).test(namespace)) {
      included = true;
    }
  }
  return included;
}

function write(namespace: string, level: string, format: string, args: unknown[]): void {
  const text = formatWithOptions({ colors: false, breakLength: Infinity }, format, ...args);
  process.stderr.write(`${new Date().toISOString()} ${namespace}${level} ${text}\n`);
}

/** `createLogger('serverbit:ws')`; DEBUG is read once, when the logger is created. */
export function createLogger(namespace: string): Logger {
  const enabled = debugEnabled(namespace, process.env.DEBUG);
  return {
    namespace,
    enabled,
    debug(format, ...args) {
      if (enabled) write(namespace, '', format, args);
    },
    warn(format, ...args) {
      write(namespace, ' WARN', format, args);
    },
  };
}
