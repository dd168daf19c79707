import type { GatewayStatusEvent, StatusMessage } from '@park/protocol';

/** The latest status of every gateway, as received (retained births, last wills). */
export class Gateways {
  private readonly byId = new Map<string, GatewayStatusEvent>();

  /** Returns the stored event; `changed` is false for a repeat of the same state and devices. */
  apply(status: StatusMessage, receivedAt: number): { event: GatewayStatusEvent; changed: boolean } {
    const prev = this.byId.get(status.gateway);
    const event: GatewayStatusEvent = { ...status, receivedAt };
    this.byId.set(status.gateway, event);
    const changed = !prev || prev.state !== status.state || JSON.stringify(prev.devices) !== JSON.stringify(status.devices);
    return { event, changed };
  }

  list(): GatewayStatusEvent[] {
    return [...this.byId.values()];
  }
}
