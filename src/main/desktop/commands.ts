/**
 * The tray's way of controlling ServerBIT: the same /v2 command runner every client's commands go
 * through (src/main/api/commands.ts), in process and trusted like the app's own window, so a tray
 * "Record" or "OSC" does exactly what `record_start` or `osc_enable` does and fails the same way.
 */
import { createCommandRunner } from '../api/commands.js';
import type { ApiContext } from '../api/context.js';
import { CommandError } from '../../shared/command-error.js';
import type { CommandArgs, CommandName, CommandResults } from '../../shared/v2.js';

export type CommandCaller = <N extends CommandName>(command: N, args?: CommandArgs[N]) => Promise<CommandResults[N]>;

/** Runs commands with `context`; each call resolves with the result or rejects with CommandError. */
export function createCommandCaller(context: ApiContext): CommandCaller {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: CommandError) => void }>();
  let next = 1;
  const settle = (id: string | number, f: (p: { resolve: (v: unknown) => void; reject: (e: CommandError) => void }) => void) => {
    const p = pending.get(Number(id));
    if (!p) return;
    pending.delete(Number(id));
    f(p);
  };
  const run = createCommandRunner({
    context,
    hasControl: () => true,
    connectToken: () => undefined,
    reply: (id, result) => settle(id, (p) => p.resolve(result)),
    replyError: (id, error) => settle(id, (p) => p.reject(new CommandError(error))),
    markerSource: 'tray',
  });
  return (<N extends CommandName>(command: N, args?: CommandArgs[N]) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      run({ type: 'command', id, command, ...(args !== undefined ? { args } : {}) });
    })) as CommandCaller;
}
