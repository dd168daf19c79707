import type { GatewayStatusEvent } from '@park/protocol';
import { isGatewayStatus } from '../live/gateway-store';
import { ApiError, getJson } from './client';

/** `GET /api/gateways`: the latest status of every gateway. Rejects with ApiError. */
export async function fetchGateways(signal?: AbortSignal): Promise<GatewayStatusEvent[]> {
  const path = '/api/gateways';
  const response = await getJson(path, signal ? { signal } : {});
  if (!response.ok) throw new ApiError('http', `GET ${path}: HTTP ${response.httpStatus}`, response.httpStatus);
  if (!Array.isArray(response.body)) throw new ApiError('invalid-response', `GET ${path}: not a list`);
  return response.body.filter(isGatewayStatus);
}
