/**
 * Health of the server's parts, as `GET /api/health` reports it. Each part
 * registers a probe; the overall state is the worst that matters: no MQTT
 * means no live data (down); InfluxDB away means history is unavailable while
 * readings queue (degraded).
 */
import type { ComponentHealth, HealthResponse, HealthStatus } from '@park/protocol';

export type { ComponentHealth };
export type HealthReport = HealthResponse;

export type HealthProbe = () => ComponentHealth | Promise<ComponentHealth>;

export class HealthRegistry {
  private readonly probes = new Map<string, { probe: HealthProbe; critical: boolean }>();

  /** A critical component that is down makes the whole server down; others only degrade it. */
  register(name: string, probe: HealthProbe, options: { critical?: boolean } = {}): void {
    this.probes.set(name, { probe, critical: options.critical ?? false });
  }

  async report(): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    let status: HealthStatus = 'ok';
    for (const [name, { probe, critical }] of this.probes) {
      let h: ComponentHealth;
      try {
        h = await probe();
      } catch (err) {
        h = { status: 'down', detail: (err as Error).message };
      }
      components[name] = h;
      if (h.status === 'down' && critical) status = 'down';
      else if (h.status !== 'ok' && status === 'ok') status = 'degraded';
    }
    return { status, components };
  }
}
