import type { GatewayStatusEvent, StatusMessage } from '@park/protocol';

/**
 * The latest status of every gateway, as received (retained births, last
 * wills). A last will carries no devices and no counters; the devices and
 * counters the gateway reported before it went away are kept beside it
 * (`lastKnown`), so a display can say what was connected when it was lost
 * and how much was waiting in its outbox.
 */
export class Gateways {
  private readonly byId = new Map<string, GatewayStatusEvent>();

  /** Returns the stored event; `changed` is false for a repeat of the same state and devices. */
  apply(status: StatusMessage, receivedAt: number): { event: GatewayStatusEvent; changed: boolean } {
    const prev = this.byId.get(status.gateway);
    const stateSince = prev && prev.state === status.state ? (prev.stateSince ?? prev.receivedAt) : receivedAt;
    const event: GatewayStatusEvent = { ...status, receivedAt, stateSince };
    const reportsDevices = Object.keys(status.devices).length > 0 || status.counters !== undefined;
    if (!reportsDevices && prev) {
      const known = Object.keys(prev.devices).length > 0 || prev.counters !== undefined ? { receivedAt: prev.receivedAt, devices: prev.devices, ...(prev.counters ? { counters: prev.counters } : {}) } : prev.lastKnown;
      if (known) event.lastKnown = known;
    }
    this.byId.set(status.gateway, event);
    const changed = !prev || prev.state !== status.state || JSON.stringify(prev.devices) !== JSON.stringify(status.devices);
    return { event, changed };
  }

  list(): GatewayStatusEvent[] {
    return [...this.byId.values()];
  }
}
