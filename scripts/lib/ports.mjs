// @ts-check
import { createServer } from 'node:net';

/** Resolves to an error text when `host:port` cannot be listened on, else undefined. */
export function portProblem(host, port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err) => resolve(/** @type {NodeJS.ErrnoException} */ (err).code ?? err.message));
    srv.listen(port, host, () => srv.close(() => resolve(undefined)));
  });
}

/**
 * Checks every port the demo needs before anything starts, so a clash is one
 * clear message instead of a half-started park.
 * @param {{ port: number, host: string, what: string, fix: string }[]} wanted
 * @returns {Promise<string[]>} one message per port in use
 */
export async function checkPorts(wanted) {
  const problems = [];
  for (const w of wanted) {
    const code = await portProblem(w.host, w.port);
    if (code === 'EADDRINUSE') {
      problems.push(`Port ${w.port} (${w.what}) is already in use on ${w.host}. Another copy of the demo may be running: stop it, or ${w.fix}. To see what holds it: ss -ltnp 'sport = :${w.port}'`);
    } else if (code) {
      problems.push(`Port ${w.port} (${w.what}) cannot be used on ${w.host}: ${code}`);
    }
  }
  return problems;
}
