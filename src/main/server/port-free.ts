/**
 * Whether a TCP port can be listened on right now (issue 10 item 4: a saved port is checked
 * before ServerBIT promises to listen there after a restart). Opens and closes a listener at
 * once; bounded by `timeoutMs`.
 */
import net from 'node:net';

export type PortCheck = 'free' | 'in-use' | 'unknown';

export function checkPortFree(host: string, port: number, timeoutMs = 2000): Promise<PortCheck> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    let done = false;
    const finish = (r: PortCheck) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      srv.close(() => resolve(r));
      if (!srv.listening) resolve(r);
    };
    const timer = setTimeout(() => finish('unknown'), timeoutMs);
    srv.once('error', (e: NodeJS.ErrnoException) => finish(e.code === 'EADDRINUSE' ? 'in-use' : 'unknown'));
    srv.listen({ host, port, exclusive: true }, () => finish('free'));
  });
}
