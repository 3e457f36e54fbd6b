import { ConnectorError } from '../connector';
import { toConnectorError } from './redis-errors';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('toConnectorError (redis)', () => {
  it('reports a reply by its prefix, never its arguments', () => {
    const error = toConnectorError(replyError("ERR unknown command 'UNLINK', with args beginning with: 'cart:alice@x.io:1'"), 'c', 'erase');
    expect(error.message).toBe('cache connector "c": erase failed: redis replied ERR');
    expect(error.retryable).toBe(false);
  });

  it('retries a server that is loading or failing over', () => {
    expect(toConnectorError(replyError('LOADING Redis is loading the dataset'), 'c', 'erase').retryable).toBe(true);
    expect(toConnectorError(replyError("READONLY You can't write against a read only replica."), 'c', 'erase').retryable).toBe(true);
  });

  it('retries an unreachable server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect(toConnectorError(refused, 'c', 'erase')).toMatchObject({ retryable: true, message: expect.stringContaining('cannot reach redis') });
    const exhausted = Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' });
    expect(toConnectorError(exhausted, 'c', 'erase').retryable).toBe(true);
  });

  it('passes a ConnectorError through', () => {
    const original = new ConnectorError('x', false);
    expect(toConnectorError(original, 'c', 'erase')).toBe(original);
  });
});
