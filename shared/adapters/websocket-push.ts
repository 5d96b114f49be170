import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { config } from '../config';

let client: ApiGatewayManagementApiClient | undefined;

/**
 * The one API Gateway Management API client of this container, on the WebSocket API's endpoint
 * (locally serverless-offline's `@connections` on its WebSocket port). Short timeouts and no retry:
 * a push is a convenience (DESIGN invariant 9), it must never hold the consumer's batch.
 */
export function managementClient(): ApiGatewayManagementApiClient {
  const { endpoint, region } = config().websocket;
  client ??= new ApiGatewayManagementApiClient({ endpoint, region, maxAttempts: 1, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
  return client;
}

/** What became of one push: delivered, the connection is gone (410), or another failure. */
export type PushOutcome = { ok: true } | { ok: false; gone: boolean; error: unknown };

/** Sends a frame to one WebSocket connection. */
export interface ConnectionPusher {
  post(connectionId: string, frame: string, signal?: AbortSignal): Promise<PushOutcome>;
}

const isGone = (error: unknown) =>
  (error as { name?: string }).name === 'GoneException' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

export function apiGatewayPusher(api: ApiGatewayManagementApiClient = managementClient()): ConnectionPusher {
  return {
    async post(connectionId, frame, signal) {
      try {
        await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(frame) }), { abortSignal: signal });
        return { ok: true };
      } catch (error) {
        return { ok: false, gone: isGone(error), error };
      }
    },
  };
}
