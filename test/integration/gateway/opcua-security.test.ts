import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, Variant } from 'node-opcua';
import { gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { freePort } from '../../harness/ports.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, until, type Recorder } from './helpers.js';

// Issue 9, access: the gateway talks to an OPC UA server with Sign and with
// SignAndEncrypt (Basic256Sha256), and refuses a server certificate it does
// not trust: the tags go bad with the reason and the certificate lands in
// `<dataDir>/pki/rejected/`; moved to `pki/trusted/certs/` (docs/gateway.md),
// it is trusted at the next reconnect and the values arrive.
const d = (en: string) => ({ zh: en, en });

describe('gateway: OPC UA security (issue 9)', () => {
  const dir = tempDir('gw-opcua-sec');
  let broker: TestBroker;
  let rec: Recorder;
  let server: OPCUAServer;
  let endpoint = '';
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    broker = await startTestAedes();
    rec = await record(broker.url);
    const port = await freePort();
    // The server accepts the gateways' certificates (its own trust is not under test here).
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: path.join(dir.path, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
    server = new OPCUAServer({
      port,
      resourcePath: '/UA/secure',
      allowAnonymous: true,
      serverCertificateManager,
      securityModes: [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.Basic256Sha256],
    });
    await server.initialize();
    const space = server.engine.addressSpace;
    if (!space) throw new Error('no address space');
    const ns = space.getOwnNamespace();
    ns.addVariable({ organizedBy: space.rootFolder.objects, browseName: 'Value', nodeId: 's=Sec.Value', dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 42 }) });
    await server.start();
    endpoint = `opc.tcp://127.0.0.1:${port}/UA/secure`;
  }, 60_000);
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await rec?.close();
    await server?.shutdown();
    await broker?.stop();
    dir.remove();
  });

  const start = async (name: string, mode: 'Sign' | 'SignAndEncrypt'): Promise<{ gw: RunningGateway; dataDir: string }> => {
    const dataDir = path.join(dir.path, name);
    const gw = await startGateway(
      gatewayConfigFromObject({
        gateway: name,
        dataDir,
        mqtt: { url: broker.url },
        publish: { maxBatchDelayMs: 20 },
        devices: [
          {
            id: 'ua',
            protocol: 'opcua',
            endpoint,
            security: { mode, policy: 'Basic256Sha256' },
            timeoutMs: 3000,
            tags: [{ id: `${name}.value`, description: d('value'), address: { nodeId: 'ns=1;s=Sec.Value' } }],
          },
        ],
      }),
      await silentLog(),
    );
    gateways.push(gw);
    return { gw, dataDir };
  };

  it('refuses the unknown server certificate, then trusts it once it is moved to pki/trusted/certs, with Sign', async () => {
    const { dataDir } = await start('gw-sign', 'Sign');
    const rejected = path.join(dataDir, 'pki', 'rejected');
    await until('the server certificate rejected', () => existsSync(rejected) && readdirSync(rejected).some((f) => f.endsWith('.der') || f.endsWith('.pem')), 30_000);
    await rec.waitFor('the tag bad with a reason', () => rec.readings().some((r) => r.id === 'gw-sign.value' && r.q === 'bad' && typeof r.err === 'string'), 30_000);
    expect(rec.readings().filter((r) => r.id === 'gw-sign.value' && r.q === 'good')).toEqual([]);

    // Trust it the documented way: moved from rejected/ to trusted/certs/.
    const trusted = path.join(dataDir, 'pki', 'trusted', 'certs');
    mkdirSync(trusted, { recursive: true });
    for (const f of readdirSync(rejected)) renameSync(path.join(rejected, f), path.join(trusted, f));
    await rec.waitFor('the value over a signed channel', () => rec.latest.get('gw-sign.value')?.q === 'good', 60_000);
    expect(rec.latest.get('gw-sign.value')?.v).toBe(42);
  }, 120_000);

  it('reads over SignAndEncrypt when the server certificate is trusted from the start', async () => {
    // The certificate the first gateway learned to trust, given to the second before it starts.
    const from = path.join(dir.path, 'gw-sign', 'pki', 'trusted', 'certs');
    const to = path.join(dir.path, 'gw-encrypt', 'pki', 'trusted', 'certs');
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from)) copyFileSync(path.join(from, f), path.join(to, f));
    await start('gw-encrypt', 'SignAndEncrypt');
    await rec.waitFor('the value over an encrypted channel', () => rec.latest.get('gw-encrypt.value')?.q === 'good', 60_000);
    expect(rec.latest.get('gw-encrypt.value')?.v).toBe(42);
    // The server really holds a SignAndEncrypt session.
    const modes = server.engine.getSessions().map((s) => s.channel?.securityMode);
    expect(modes).toContain(MessageSecurityMode.SignAndEncrypt);
  }, 120_000);
});
