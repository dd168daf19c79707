import type { Logger } from 'pino';
import { DataType, makeEUInformation, MessageSecurityMode, OPCUAServer, SecurityPolicy, StatusCodes, Variant, type Namespace, type UAObject, type UAVariable } from 'node-opcua';
import type { ParkConfig } from '@park/protocol/config';
import type { SimPoint } from '../model/catalog.js';
import type { SimModel, SimStatus } from '../model/types.js';

/**
 * The site DCS as a node-opcua server. Variables keep the node ids of the
 * park file and sit in folders site → hazard source → equipment (points
 * without a hazard source: site → equipment). Analog points are
 * AnalogItemType with EngineeringUnits and EURange; discrete ones Boolean.
 * Every value carries its source timestamp and an honest status code
 * (BadSensorFailure for a failed transmitter). Security mode None only: a
 * demo on loopback.
 */

export interface SimOpcuaServer {
  endpoint: string;
  port: number;
  /** Copies changed values into the address space. */
  refresh(): void;
  /** Drops sessions and refuses connections while offline; accepts them again when back. */
  setOnline(online: boolean): Promise<void>;
  close(): Promise<void>;
}

/** UNECE common codes (OPC UA EngineeringUnits) of the units used in park files. */
const UNECE: Record<string, [code: string, name: string]> = {
  '%': ['P1', 'percent'],
  '%LEL': ['P1', 'percent of lower explosive limit'],
  MPa: ['MPA', 'megapascal'],
  kPa: ['KPA', 'kilopascal'],
  '°C': ['CEL', 'degree Celsius'],
  t: ['TNE', 'tonne'],
  ppm: ['59', 'part per million'],
  'm/s': ['MTS', 'metre per second'],
  '°': ['DD', 'degree (angle)'],
  'mg/m³': ['GP', 'milligram per cubic metre'],
  'µg/m³': ['GQ', 'microgram per cubic metre'],
  'mg/L': ['M1', 'milligram per litre'],
  'm³': ['MTQ', 'cubic metre'],
  'm³/h': ['MQH', 'cubic metre per hour'],
};

function engineeringUnits(unit: string): ReturnType<typeof makeEUInformation> {
  const known = UNECE[unit];
  if (known) return makeEUInformation(known[0], unit, known[1]);
  // Not in UNECE Rec. 20 (pH, classes, counts): unitId −1 as Part 8 says for "unknown".
  const eu = makeEUInformation('', unit || '-', unit || 'dimensionless');
  eu.unitId = -1;
  return eu;
}

const STATUS = { Good: StatusCodes.Good, BadSensorFailure: StatusCodes.BadSensorFailure, BadCommunicationError: StatusCodes.BadCommunicationError } satisfies Record<SimStatus, unknown>;

export async function startOpcuaServer(park: ParkConfig, points: readonly SimPoint[], model: SimModel, options: { host: string; port: number; logger?: Logger }): Promise<SimOpcuaServer> {
  const server = new OPCUAServer({
    host: options.host,
    hostname: options.host,
    port: options.port,
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    buildInfo: { productName: 'park-sim', manufacturerName: 'park-safety demo' },
    maxConnectionsPerEndpoint: 100,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('opc ua: no address space after initialize');
  const ns = addressSpace.getOwnNamespace();
  const folders = new Map<string, UAObject>();
  const folder = (key: string, parent: UAObject, browseName: string, en: string, zh?: string): UAObject => {
    let f = folders.get(key);
    if (!f) {
      const displayName = zh ? [{ text: en, locale: 'en' }, { text: zh, locale: 'zh-CN' }] : [{ text: en, locale: 'en' }];
      f = ns.addFolder(parent, { browseName, displayName, nodeId: `s=folder:${key}` });
      folders.set(key, f);
    }
    return f;
  };

  const variables = new Map<string, { v: UAVariable; point: SimPoint; last: string }>();
  for (const p of points) {
    const site = park.sites.find((s) => s.id === p.siteId);
    let parent = folder(p.siteId, addressSpace.rootFolder.objects, p.siteId.toUpperCase(), site?.name.en ?? p.siteId, site?.name.zh);
    const hs = p.tag.hazardSource;
    if (hs !== undefined) {
      const h = site?.hazardSources.find((x) => x.id === hs);
      parent = folder(`${p.siteId}.${hs}`, parent, hs.toUpperCase(), h?.name.en ?? hs, h?.name.zh);
    }
    if (p.tag.equipment !== undefined) parent = folder(`${p.siteId}.${hs ?? ''}.${p.tag.equipment}`, parent, p.tag.equipment.toUpperCase(), p.tag.equipment.toUpperCase());
    const browseName = (p.nodeId ?? p.id).split(/[.;=]/).pop() || p.id;
    const common = {
      componentOf: parent,
      browseName,
      nodeId: p.nodeId!,
      displayName: [
        { text: p.tag.description.en, locale: 'en' },
        { text: p.tag.description.zh, locale: 'zh-CN' },
      ],
      description: p.tag.description.en,
      minimumSamplingInterval: 100,
    };
    const v =
      p.kind === 'analog'
        ? addAnalog(ns, common, p)
        : ns.addVariable({ ...common, dataType: 'Boolean' });
    variables.set(p.id, { v, point: p, last: '' });
  }

  const refresh = (): void => {
    for (const entry of variables.values()) {
      const pv = model.value(entry.point.id);
      const key = `${pv.value}|${pv.status}|${pv.ts}`;
      if (key === entry.last) continue;
      entry.last = key;
      const variant = entry.point.kind === 'analog' ? new Variant({ dataType: DataType.Double, value: pv.value }) : new Variant({ dataType: DataType.Boolean, value: pv.value !== 0 });
      entry.v.setValueFromSource(variant, STATUS[pv.status], new Date(pv.ts));
    }
  };
  refresh();
  await server.start();
  const port = server.endpoints[0]?.port ?? options.port;
  const endpoint = `opc.tcp://${options.host}:${port}`;

  let online = true;
  let chain: Promise<void> = Promise.resolve();
  const setOnline = (want: boolean): Promise<void> => {
    chain = chain.then(async () => {
      if (want === online) return;
      online = want;
      if (!want) {
        for (const ep of server.endpoints) ep.abruptlyInterruptChannels();
        await server.suspendEndPoints();
        options.logger?.info({ endpoint }, 'opc ua server offline (refusing connections)');
      } else {
        await server.resumeEndPoints();
        options.logger?.info({ endpoint }, 'opc ua server back online');
      }
    });
    return chain;
  };

  return {
    endpoint,
    port,
    refresh,
    setOnline,
    close: async () => {
      await chain.catch(() => undefined);
      if (!online) await server.resumeEndPoints().catch(() => undefined);
      await server.shutdown(0);
    },
  };
}

function addAnalog(ns: Namespace, common: Parameters<Namespace['addVariable']>[0], p: SimPoint): UAVariable {
  const range = p.tag.range ?? [0, 100];
  return ns.addAnalogDataItem({
    ...(common as object),
    browseName: common.browseName,
    dataType: 'Double',
    engineeringUnitsRange: { low: Math.min(range[0], range[1]), high: Math.max(range[0], range[1]) },
    engineeringUnits: engineeringUnits(p.unit),
    valuePrecision: 3,
  } as Parameters<Namespace['addAnalogDataItem']>[0]);
}
