import { spawn } from 'node:child_process';
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

/** The project's embedded aedes broker on a free loopback port. */
export async function startTestAedes(): Promise<TestBroker> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  return { url: broker.url, port: broker.port, stop: () => broker.close() };
}

/**
 * A real Mosquitto (Debian package) on a free loopback port with its own
 * config in a temp folder. `user root` keeps it from dropping privileges
 * away from the folder it writes to.
 */
export async function startTestMosquitto(options: { extraConfig?: string } = {}): Promise<TestBroker> {
  const dir = tempDir('mosquitto');
  const port = await freePort();
  const conf = path.join(dir.path, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'user root', 'persistence false', `log_dest file ${path.join(dir.path, 'mosquitto.log')}`, options.extraConfig ?? ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let failed: Error | undefined;
  child.once('error', (err) => (failed = new Error(`mosquitto did not start: ${err.message} (install it with: apt-get install -y mosquitto)`)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    dir.remove();
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (failed || child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw failed ?? new Error(`mosquitto did not listen on 127.0.0.1:${port}: ${stderr.trim() || 'no output'}`);
    }
    await delay(50);
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, stop };
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
