import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
  /** What Mosquitto has logged so far (connections, refusals, denied publishes). */
  log(): string;
}

/** The project's embedded aedes broker on a free loopback port. */
export async function startTestAedes(): Promise<TestBroker> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  return { url: broker.url, port: broker.port, stop: () => broker.close() };
}

/** PEM files of a test CA and a server certificate it signed, for 127.0.0.1 and localhost. */
export interface TestCertificates {
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
  ca: Buffer;
}

/**
 * A throw-away CA and a server certificate (subjectAltName IP 127.0.0.1 and
 * DNS localhost, so that clients verify the host name) made with the
 * openssl command in `dir`. RSA 2048, valid for a day.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const file = (name: string): string => path.join(dir, name);
  const openssl = opensslIn(dir);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=park test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('server.ext'));
  return { caFile: file('ca.crt'), caKeyFile: file('ca.key'), certFile: file('server.crt'), keyFile: file('server.key'), ca: readFileSync(file('ca.crt')) };
}

/** A client certificate and its key, as PEM files and their contents. */
export interface TestClientCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * A client certificate (extendedKeyUsage clientAuth) with this common name,
 * signed by the CA of `ca`, written to `dir` as `<name>.crt` / `<name>.key`.
 * With `use_identity_as_username`, Mosquitto takes the common name as the
 * client's user name.
 */
export function issueClientCertificate(ca: Pick<TestCertificates, 'caFile' | 'caKeyFile'>, dir: string, commonName: string, name = commonName): TestClientCertificate {
  const file = (ext: string): string => path.join(dir, `${name}.${ext}`);
  const openssl = opensslIn(dir);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('key'), '-out', file('csr'), '-subj', `/CN=${commonName}`);
  writeFileSync(file('ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', file('csr'), '-CA', ca.caFile, '-CAkey', ca.caKeyFile, '-CAcreateserial', '-out', file('crt'), '-days', '1', '-extfile', file('ext'));
  return { certFile: file('crt'), keyFile: file('key'), cert: readFileSync(file('crt')), key: readFileSync(file('key')) };
}

function opensslIn(dir: string): (...args: string[]) => void {
  return (...args) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const e = err as { code?: string; stderr?: Buffer };
      throw new Error(e.code === 'ENOENT' ? 'openssl is missing (apt-get install -y openssl)' : `openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? String(err)}`);
    }
  };
}

export interface TestMosquittoOptions {
  extraConfig?: string;
  persistence?: boolean;
  /** Only these users (name → password, in a mosquitto_passwd file) may connect: `allow_anonymous false`. */
  users?: Record<string, string>;
  /** The listener speaks TLS only, with this certificate; the URL is then `mqtts://127.0.0.1:PORT`. */
  tls?: Pick<TestCertificates, 'certFile' | 'keyFile'>;
  /**
   * The listener's settings as a site writes them (TLS files, client
   * certificates, ACL file …), put right after `listener PORT 127.0.0.1` in
   * place of what `users` and `tls` would write; the URL is then `mqtts://`.
   */
  listenerConfig?: string[];
}

/**
 * A real Mosquitto (Debian package) on a free loopback port with its own
 * config in a temp folder. `user root` keeps it from dropping privileges
 * away from the folder it writes to. Sessions and queued messages live in
 * memory unless `persistence` is set: then they are saved in the temp
 * folder on stop and kept across `restart()`. Anonymous and plain by
 * default; `users` and `tls` make it as a site broker should be.
 */
export async function startTestMosquitto(options: TestMosquittoOptions = {}): Promise<TestMosquitto> {
  const dir = tempDir('mosquitto');
  const port = await freePort();
  const conf = path.join(dir.path, 'mosquitto.conf');
  const persistence = options.persistence ? ['persistence true', `persistence_location ${dir.path}/`] : ['persistence false'];
  let access = ['allow_anonymous true'];
  if (options.users) {
    const passwords = path.join(dir.path, 'passwords');
    writeFileSync(passwords, '');
    try {
      for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', passwords, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      dir.remove();
      throw new Error(`mosquitto_passwd failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)} (it comes with apt-get install -y mosquitto)`);
    }
    access = ['allow_anonymous false', `password_file ${passwords}`];
  }
  const tls = options.tls ? [`certfile ${options.tls.certFile}`, `keyfile ${options.tls.keyFile}`] : [];
  const listener = options.listenerConfig ?? [...tls, ...access];
  const logFile = path.join(dir.path, 'mosquitto.log');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, ...listener, 'user root', ...persistence, `log_dest file ${logFile}`, options.extraConfig ?? ''].join('\n'));

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
    url: `${options.tls || options.listenerConfig ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    stop,
    restart: async (whileDown) => {
      await kill();
      await whileDown?.();
      await launch();
    },
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
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
