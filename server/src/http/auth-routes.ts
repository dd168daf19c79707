import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateLoginRequest, type LoginResponse, type Role } from '@park/protocol';
import type { UserDirectory } from '../auth/users.js';
import type { SessionStore } from '../auth/sessions.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { can, type Permission } from '../auth/permissions.js';
import type { AuditLog } from '../audit/audit-log.js';

export const SESSION_COOKIE = 'park_session';

export interface AuthContext {
  users: UserDirectory;
  sessions: SessionStore;
  throttle: LoginThrottle;
  audit: AuditLog;
  sessionTtlMs: number;
  /** Adds `Secure` to the cookie; on when the server sits behind HTTPS. */
  secureCookies: boolean;
}

export interface Identity {
  user: string;
  role: Role;
  /** Where the request came from, for the audit trail. */
  address?: string;
}

/** Reads one cookie from a Cookie header without a dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A malformed value (`%E0%A4%A`) is no session, not a server error:
      // decodeURIComponent throws, which crashed the Socket.IO handshake.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Who is asking: a session cookie (people) or a bearer token (machines). */
export function identify(ctx: AuthContext, headers: { cookie?: string | undefined; authorization?: string | undefined }): Identity | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return ctx.users.byToken(auth.slice(7).trim());
  const token = readCookie(headers.cookie, SESSION_COOKIE);
  if (!token) return undefined;
  const s = ctx.sessions.get(token);
  return s ? { user: s.user, role: s.role } : undefined;
}

/** A preHandler: 401 when not logged in, 403 when the role lacks the permission. */
export function requirePermission(ctx: AuthContext, permission: Permission) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const who = identify(ctx, req.headers);
    if (!who) {
      await reply.code(401).send({ error: 'not logged in' });
      return;
    }
    if (!can(who.role, permission)) {
      await reply.code(403).send({ error: `role "${who.role}" may not ${permission}` });
      return;
    }
    (req as FastifyRequest & { identity?: Identity }).identity = { ...who, address: req.ip };
  };
}

export function identityOf(req: FastifyRequest): Identity {
  const who = (req as FastifyRequest & { identity?: Identity }).identity;
  if (!who) throw new Error('route is missing its requirePermission preHandler');
  return who;
}

export function registerAuthRoutes(app: FastifyInstance, ctx: AuthContext): void {
  app.post('/api/login', async (req, reply) => {
    const body = validateLoginRequest(req.body);
    if (!body.ok) return reply.code(400).send({ error: body.reason });
    const { username, password } = body.value;
    // Keyed by name and address together: guessing from one machine cannot
    // lock an operator out of the control-room console during an incident.
    const keys = [`${username}\u0000${req.ip}`];
    const waitMs = ctx.throttle.retryAfterMs(keys);
    if (waitMs > 0) {
      ctx.audit.record({ action: 'login-refused', user: username, target: '', ok: false, detail: `too many failed attempts from ${req.ip}` });
      return reply
        .code(429)
        .header('retry-after', Math.ceil(waitMs / 1000))
        .send({ error: `too many failed logins; try again in ${Math.ceil(waitMs / 1000)} s` });
    }
    const who = await ctx.users.authenticate(username, password);
    if (!who) {
      ctx.throttle.fail(keys);
      ctx.audit.record({ action: 'login-failed', user: username, target: '', ok: false, detail: `from ${req.ip}` });
      return reply.code(401).send({ error: 'wrong user name or password' });
    }
    ctx.throttle.succeed(keys);
    const token = ctx.sessions.create(who.user, who.role);
    ctx.audit.record({ action: 'login', user: who.user, target: '', ok: true, detail: `role ${who.role} from ${req.ip}` });
    const cookie = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.floor(ctx.sessionTtlMs / 1000)}`];
    if (ctx.secureCookies) cookie.push('Secure');
    const res: LoginResponse = { user: who.user, role: who.role };
    return reply.header('set-cookie', cookie.join('; ')).send(res);
  });

  app.post('/api/logout', async (req, reply) => {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) {
      const s = ctx.sessions.get(token);
      ctx.sessions.delete(token);
      if (s) ctx.audit.record({ action: 'logout', user: s.user, target: '', ok: true, detail: '' });
    }
    return reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).send({ ok: true });
  });

  app.get('/api/me', { preHandler: requirePermission(ctx, 'view') }, async (req) => {
    const who = identityOf(req);
    return { user: who.user, role: who.role };
  });
}
