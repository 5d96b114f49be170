import { randomBytes } from 'node:crypto';
import { IdempotencyKeyInFlight, IdempotencyKeyReused, NotFound } from '../domain/errors';
import { describeError, log } from '../http/log';
import { fingerprint } from './chats';
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

export const applicationService = ({ applications, counters, clock, generateToken = newToken }: ApplicationDeps) => {
  /**
   * Registers the token in Redis first, then writes MySQL: a client never holds a token that the
   * create paths (Redis only) would not recognise. If MySQL fails, the registration is withdrawn.
   */
  async function register(token: string, name: string, now: Date): Promise<App> {
    await counters.registerApplication(token);
    try {
      await applications.insert(token, name, now);
    } catch (error) {
      await counters.forgetApplication(token).catch(() => undefined);
      throw error;
    }
    const iso = now.toISOString();
    return { token, name, chats_count: 0, created_at: iso, updated_at: iso };
  }

  return {
    /**
     * Creates an application. With an Idempotency-Key (a UUID: global keys), the key claims the token
     * before anything is written, so a retry after an unclear failure gets the same application.
     */
    async create(name: string, idempotencyKey?: string): Promise<App> {
      if (idempotencyKey === undefined) return register(generateToken(), name, clock.now());
      const claimed = await counters.claimAppKey(
        { key: idempotencyKey, fingerprint: fingerprint('app', name) },
        { token: generateToken(), createdAt: clock.now().toISOString() },
      );
      if ('keyMismatch' in claimed) throw new IdempotencyKeyReused();
      if ('keyBusy' in claimed) throw new IdempotencyKeyInFlight(claimed.keyBusy.retryAfterMs);
      if ('replay' in claimed) return this.get(claimed.replay.token);
      let app: App;
      if ('fresh' in claimed) {
        app = await register(claimed.fresh.token, name, new Date(claimed.fresh.createdAt));
      } else {
        // An earlier attempt with this key took this token and never confirmed: it may have written it.
        app = (await applications.find(claimed.resend.token)) ?? (await register(claimed.resend.token, name, new Date(claimed.resend.createdAt)));
      }
      await counters.confirmAppKey(idempotencyKey).catch((error: unknown) => {
        log('warn', 'could not mark an Idempotency-Key done; a retry will find the same application', { ...describeError(error) });
      });
      return app;
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
  };
};

export type ApplicationService = ReturnType<typeof applicationService>;
