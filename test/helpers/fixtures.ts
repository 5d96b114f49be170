import { api } from './api';

/** Given an application: creates one through the API and returns its token. */
export async function givenApp(name = 'test app'): Promise<string> {
  const { status, body } = await api('POST', '/api/v1/apps', { body: { name } });
  if (status !== 201) throw new Error(`could not create an application: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function givenChat(token: string): Promise<number> {
  const { status, body } = await api('POST', `/api/v1/apps/${token}/chats`);
  if (status !== 201) throw new Error(`could not create a chat: ${status} ${JSON.stringify(body)}`);
  return body.number;
}

export async function givenMessage(token: string, chat: number, content: string): Promise<number> {
  const { status, body } = await api('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { body: { content } });
  if (status !== 201) throw new Error(`could not create a message: ${status} ${JSON.stringify(body)}`);
  return body.number;
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
