import type { DeviceConfig } from '@park/protocol/config';

/** Effective OPC UA settings with the defaults filled in (the one place they live; docs/gateway.md lists them). */

export type OpcuaDevice = Extract<DeviceConfig, { protocol: 'opcua' }>;
export type OpcuaTag = OpcuaDevice['tags'][number];

export const OPCUA_DEFAULTS = {
  mode: 'subscription',
  pollIntervalMs: 1000,
  timeoutMs: 5000,
  publishingIntervalMs: 1000,
  samplingIntervalMs: 500,
  queueSize: 10,
  /** Keep-alive count requested for the subscription (a keep-alive every publishingInterval × this when idle). */
  maxKeepAliveCount: 10,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
} as const;

export interface OpcuaSettings {
  mode: 'subscription' | 'polling';
  pollIntervalMs: number;
  timeoutMs: number;
  securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
  securityPolicy: string;
  publishingIntervalMs: number;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: { type: 'absolute' | 'percent'; value: number };
  /** No notification nor keep-alive for this long: the subscription is taken as dead and rebuilt. */
  watchdogMs: number;
}

export function opcuaSettings(d: OpcuaDevice): OpcuaSettings {
  const publishingIntervalMs = d.subscription?.publishingIntervalMs ?? OPCUA_DEFAULTS.publishingIntervalMs;
  return {
    mode: d.mode ?? OPCUA_DEFAULTS.mode,
    pollIntervalMs: d.pollIntervalMs ?? OPCUA_DEFAULTS.pollIntervalMs,
    timeoutMs: d.timeoutMs ?? OPCUA_DEFAULTS.timeoutMs,
    securityMode: d.security?.mode ?? 'None',
    securityPolicy: d.security?.policy ?? 'None',
    publishingIntervalMs,
    samplingIntervalMs: d.subscription?.samplingIntervalMs ?? OPCUA_DEFAULTS.samplingIntervalMs,
    queueSize: d.subscription?.queueSize ?? OPCUA_DEFAULTS.queueSize,
    ...(d.subscription?.deadband ? { deadband: d.subscription.deadband } : {}),
    watchdogMs: Math.max(10_000, 3 * publishingIntervalMs * OPCUA_DEFAULTS.maxKeepAliveCount),
  };
}
