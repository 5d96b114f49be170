import { randomBytes } from 'node:crypto';
import { NotFound } from '../domain/errors';
import type { App } from '../domain/schemas';
import type { ApplicationStore } from '../adapters/stores/applications';
import type { Counters } from '../adapters/counters';
import type { Clock } from './clock';

/** 192 random bits, base64url: unguessable, URL-safe, 32 characters. */
export const newToken = () => randomBytes(24).toString('base64url');

export interface ApplicationDeps {
  applications: ApplicationStore;
  counters: Counters;
  clock: Clock;
  generateToken?: () => string;
}

export const applicationService = ({ applications, counters, clock, generateToken = newToken }: ApplicationDeps) => ({
  /**
   * Registers the token in Redis first, then writes MySQL: a client never holds a token that the
   * create paths (Redis only) would not recognise. If MySQL fails, the registration is withdrawn.
   */
  async create(name: string): Promise<App> {
    const token = generateToken();
    const now = clock.now();
    await counters.registerApplication(token);
    try {
      await applications.insert(token, name, now);
    } catch (error) {
      await counters.forgetApplication(token).catch(() => undefined);
      throw error;
    }
    const iso = now.toISOString();
    return { token, name, chats_count: 0, created_at: iso, updated_at: iso };
  },

  async get(token: string): Promise<App> {
    const app = await applications.find(token);
    if (!app) throw new NotFound('application', token);
    return app;
  },

  async rename(token: string, name: string): Promise<App> {
    if (!(await applications.rename(token, name, clock.now()))) throw new NotFound('application', token);
    return this.get(token);
  },
});

export type ApplicationService = ReturnType<typeof applicationService>;
