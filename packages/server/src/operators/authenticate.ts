import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import { hashSecret } from '../security/index.ts';
import type { OperatorCredentials } from './credentials.ts';
import { AuthError } from './operator-errors.ts';
import type { RouteAccess } from './permissions.ts';
import type { Principal } from './principal.ts';

export const SESSION_COOKIE = '__Host-palisade_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function presentedCredential(request: FastifyRequest): { token: string; viaCookie: boolean } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
    return { token: match?.[1] ?? '', viaCookie: false };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie === undefined ? undefined : { token: cookie, viaCookie: true };
}

function csrfValid(request: FastifyRequest, expectedHash: Uint8Array | undefined): boolean {
  const header = request.headers[CSRF_HEADER];
  if (typeof header !== 'string' || expectedHash === undefined) return false;
  const actual = hashSecret(header);
  return actual.length === expectedHash.length && timingSafeEqual(actual, expectedHash);
}

/**
 * The gate in front of every operator route: the route must declare its
 * access, the caller must prove who they are, a cookie session must carry its
 * CSRF token on state-changing requests, a one-time password must be changed
 * first, and the role must hold the permission. Every refusal is audited.
 */
export function installOperatorAuthentication(
  app: FastifyInstance,
  credentials: OperatorCredentials,
  audit: AuditLog,
): void {
  app.decorateRequest('principal', undefined);
  const routes: Array<{ method: string; url: string; access: RouteAccess }> = [];
  app.decorate('operatorRoutes', routes);

  // A route without a declared access level is a bug that must not reach production: fail at start-up.
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access level`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, access });
    }
  });

  app.addHook('onRequest', async (request) => {
    const access: RouteAccess | undefined = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;

    const refuse = async (error: AuthError, actor: string): Promise<AuthError> => {
      await audit.append({
        actor,
        action: 'auth.access',
        target: `route:${request.method} ${request.routeOptions.url ?? ''}`,
        outcome:
          error.code === 'UNAUTHENTICATED' || error.code === 'CREDENTIAL_EXPIRED' ? 'failure' : 'denied',
        source: request.ip,
        details: { code: error.code },
      });
      return error;
    };

    const presented = presentedCredential(request);
    if (!presented)
      throw await refuse(new AuthError('UNAUTHENTICATED', 'log in or send an API token'), 'anonymous');
    let principal: Principal;
    try {
      principal = await credentials.authenticate(presented.token);
    } catch (error) {
      if (error instanceof AuthError) throw await refuse(error, 'anonymous');
      throw error;
    }
    const actor = `operator:${principal.username}`;
    if (presented.viaCookie && !SAFE_METHODS.has(request.method) && !csrfValid(request, principal.csrfHash)) {
      throw await refuse(
        new AuthError('CSRF_TOKEN_INVALID', `send the session's CSRF token in ${CSRF_HEADER}`),
        actor,
      );
    }
    if (principal.mustChangePassword && request.routeOptions.config.allowDuringPasswordChange !== true) {
      throw await refuse(
        new AuthError('PASSWORD_CHANGE_REQUIRED', 'change the one-time password first'),
        actor,
      );
    }
    if (access !== 'authenticated' && !principal.permissions.has(access)) {
      throw await refuse(
        new AuthError('FORBIDDEN', `role ${principal.role} lacks permission ${access}`),
        actor,
      );
    }
    request.principal = principal;
  });
}

/** The principal the hook established; routes with non-public access always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AuthError('UNAUTHENTICATED', 'log in or send an API token');
  return request.principal;
}
