// Types for permissions.js (CommonJS, read by infra/roles-plugin.js and infra/resources.js).
export interface Grant {
  actions: string[];
  /** 'queue:<key>', 'deadLetterQueue:<key>', 'search' or 'websocket'. */
  resources: string[];
}
export const permissions: Record<string, Grant[]>;
export function roleLogicalId(functionName: string): string;
export function searchUsers(): string[];
