import type { ParkConfig } from '@park/protocol/config';
import type { RunningSimulators } from '@park/simulators';
import { createLogger, gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';

/**
 * A real gateway (in this process) for one site of the demo park, reading
 * that site's devices of one protocol from the running simulators: the OPC
 * UA devices at the simulators' endpoint, the Modbus TCP ones at their port.
 * Options beyond these come from `extra` (e.g. `{ publish: { maxBatchDelayMs: 100 } }`).
 */
export async function startSiteGateway(o: {
  model: ParkConfig;
  sims: RunningSimulators;
  gateway: string;
  site: string;
  protocol: 'opcua' | 'modbus-tcp';
  dataDir: string;
  mqttUrl: string;
  extra?: Record<string, unknown>;
}): Promise<RunningGateway> {
  const park = structuredClone(o.model);
  for (const site of park.sites) {
    site.devices = site.devices.filter((d) => d.protocol === o.protocol);
    for (const d of site.devices) {
      if (d.protocol === 'opcua') d.endpoint = o.sims.opcuaEndpoint;
      if (d.protocol === 'modbus-tcp') d.port = o.sims.modbusPort;
    }
  }
  const config = gatewayConfigFromObject({ gateway: o.gateway, site: o.site, dataDir: o.dataDir, mqtt: { url: o.mqttUrl }, ...o.extra }, `${o.gateway}.yaml`, o.dataDir, park);
  return startGateway(config, createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent'));
}
