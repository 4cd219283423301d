import type {} from '@fastify/cookie';
import type {} from '@fastify/swagger';
import type { RouteAccess } from '../operators/permissions.ts';
import type { Principal } from '../operators/principal.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: checked by the authentication hook; required on every operator route. */
    access?: RouteAccess;
    /** Routes an operator may use before changing a one-time password. */
    allowDuringPasswordChange?: boolean;
    /**
     * Device listener: `public` (CA certificates, CRL, OCSP), `bootstrap` (EST routes that
     * authenticate the device themselves), or, by default, `device`: a valid, unrevoked LDevID.
     */
    deviceAccess?: 'public' | 'bootstrap' | 'device';
  }
  interface FastifyInstance {
    /** Every operator route with its declared access, in registration order (for the permission tests and docs). */
    operatorRoutes: ReadonlyArray<{
      readonly method: string;
      readonly url: string;
      readonly access: RouteAccess;
    }>;
  }
  interface FastifyRequest {
    /** Set by the authentication hook for every non-public operator route. */
    principal: Principal | undefined;
    /** Device listener: the device whose valid LDevID authenticated this connection. */
    device: { readonly id: string; readonly serial: string } | undefined;
  }
}
