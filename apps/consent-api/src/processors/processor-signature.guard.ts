import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HttpConnectorConfig, SIGNATURE_HEADERS, verifySignature } from '@lethe/connectors';
import { ProcessorRegistry } from './processor-registry';

export type SignedRequest = FastifyRequest<{ Params: { system: string } }> & { rawBody?: Buffer; processor: HttpConnectorConfig };

/**
 * Authenticates a processor's callback by its signature (see libs/connectors/src/http/signature.ts)
 * instead of an API key: the system must be a `type: http` entry of the systems file, and the raw
 * body must carry that processor's HMAC, made within its replay window. Answers say which check
 * failed, never what was sent.
 */
@Injectable()
export class ProcessorSignatureGuard implements CanActivate {
  constructor(private readonly processors: ProcessorRegistry) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SignedRequest>();
    const processor = this.processors.find(request.params.system);
    if (!processor) throw new NotFoundException('no third-party processor (type: http) of this name is declared in the systems file');
    const check = verifySignature({
      secret: processor.secret,
      timestamp: single(request.headers[SIGNATURE_HEADERS.timestamp.toLowerCase()]),
      signature: single(request.headers[SIGNATURE_HEADERS.signature.toLowerCase()]),
      rawBody: request.rawBody ?? Buffer.alloc(0),
      nowSeconds: Math.floor(Date.now() / 1000),
      windowSeconds: processor.replayWindowSeconds,
    });
    if (check === 'malformed') {
      throw new UnauthorizedException(`the callback must be signed: ${SIGNATURE_HEADERS.timestamp} (unix seconds) and ${SIGNATURE_HEADERS.signature} (v1=<hex HMAC-SHA256>)`);
    }
    if (check === 'bad_signature') throw new UnauthorizedException("the callback's signature does not match its body and this processor's secret");
    if (check === 'stale') {
      throw new UnauthorizedException(`the callback is stale: its ${SIGNATURE_HEADERS.timestamp} is more than ${processor.replayWindowSeconds} s from now`);
    }
    request.processor = processor;
    return true;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}
