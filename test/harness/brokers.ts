import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmbeddedBroker } from '@park/server';
import { freePort } from './ports.js';
import { tempDir } from './temp-dir.js';

export interface TestBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A Mosquitto that can also be restarted (an outage of the broker). */
export interface TestMosquitto extends TestBroker {
  /**
   * Stops the process (SIGTERM, so a persistent broker saves its sessions)
   * and starts it again with the same config on the same port; resolves
   * when it listens again. `whileDown` runs between the two (an outage).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/** The project's embedded aedes broker on a free loopback port. */
export async function startTestAedes(): Promise<TestBroker> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  return { url: broker.url, port: broker.port, stop: () => broker.close() };
}

/**
 * A real Mosquitto (Debian package) on a free loopback port with its own
 * config in a temp folder. `user root` keeps it from dropping privileges
 * away from the folder it writes to. Sessions and queued messages live in
 * memory unless `persistence` is set: then they are saved in the temp
 * folder on stop and kept across `restart()`.
 */
export async function startTestMosquitto(options: { extraConfig?: string; persistence?: boolean } = {}): Promise<TestMosquitto> {
  const dir = tempDir('mosquitto');
  const port = await freePort();
  const conf = path.join(dir.path, 'mosquitto.conf');
  const persistence = options.persistence ? ['persistence true', `persistence_location ${dir.path}/`] : ['persistence false'];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'user root', ...persistence, `log_dest file ${path.join(dir.path, 'mosquitto.log')}`, options.extraConfig ?? ''].join('\n'));

  let child: ChildProcess;
  let exited: Promise<void>;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const launch = async (): Promise<void> => {
    const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    let failed: Error | undefined;
    c.once('error', (err) => (failed = new Error(`mosquitto did not start: ${err.message} (install it with: apt-get install -y mosquitto)`)));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (failed || c.exitCode !== null || Date.now() > deadline) {
        await kill();
        throw failed ?? new Error(`mosquitto did not listen on 127.0.0.1:${port}: ${stderr.trim() || 'no output'}`);
      }
      await delay(50);
    }
  };
  const stop = async (): Promise<void> => {
    await kill();
    dir.remove();
  };
  try {
    await launch();
  } catch (err) {
    dir.remove();
    throw err;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    restart: async (whileDown) => {
      await kill();
      await whileDown?.();
      await launch();
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
