import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Action, allows, ApiKeyStore, Principal } from './api-keys';
import { RateLimits } from './rate-limits';

const REQUIRED_ACTION = 'lethe:required-action';

/** Marks a route with the action its API key must be allowed. */
export const RequireAction = (action: Action) => SetMetadata(REQUIRED_ACTION, action);

const SIGNED = 'lethe:authenticated-by-signature';

/**
 * Marks a route that takes no API key because its caller signs each request instead; the route
 * must carry the guard that checks the signature (see processors/signed-by-processor.ts).
 */
export const AuthenticatedBySignature = () => SetMetadata(SIGNED, true);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/**
 * Authenticates `Authorization: Bearer <key>` (or `X-Api-Key`) and checks the route's action.
 * 401 when the key is missing or unknown, 403 when it may not do this. Purpose scopes are
 * checked where the purposes are known, in the write service. Rate limits apply here, where the
 * key is known (see rate-limits.ts): an address over its limit of failures is refused before a
 * key it sends is looked up.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.get<boolean | undefined>(SIGNED, context.getHandler())) return true;
    const action = this.reflector.get<Action | undefined>(REQUIRED_ACTION, context.getHandler());
    if (!action) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = bearer(request.headers.authorization) ?? header(request.headers['x-api-key']);
    // A key known to be valid costs no lookup, so it passes even from an address over its limit
    // of failures (another service behind the same address may be the one failing).
    if (!key || !this.keys.cached(key)) this.limits.checkAddress(request.ip);
    if (!key) throw this.failed(request, 'an API key is required: Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(key);
    if (!principal) throw this.failed(request, 'the API key is not valid');
    this.limits.countRequest(principal.keyId);
    if (!allows(principal, action)) {
      throw new ForbiddenException(`this API key may not ${action}`);
    }
    request.principal = principal;
    return true;
  }

  private failed(request: FastifyRequest, message: string): UnauthorizedException {
    this.limits.failedAuthentication(request.ip);
    return new UnauthorizedException(message);
  }
}

function bearer(value: string | undefined): string | undefined {
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
