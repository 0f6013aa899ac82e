import { z } from 'zod';
import { Events, Requests } from './signaling.ts';
import { PROTOCOL_VERSION } from './version.ts';

/**
 * The WebSocket protocol as JSON Schema, for clients that are not written in
 * TypeScript and for documentation: every request's `data` and `result`, and
 * every pushed event's `data`.
 */
export function signalingJsonSchema() {
  const requests: Record<string, { data: unknown; result: unknown }> = {};
  for (const [type, { data, result }] of Object.entries(Requests)) {
    requests[type] = {
      data: z.toJSONSchema(data, { io: 'input', unrepresentable: 'any' }),
      result: z.toJSONSchema(result, { unrepresentable: 'any' }),
    };
  }
  const events: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(Events)) {
    events[name] = z.toJSONSchema(schema, { unrepresentable: 'any' });
  }
  return { protocolVersion: PROTOCOL_VERSION, requests, events };
}
