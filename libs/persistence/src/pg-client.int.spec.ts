import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { Pool, PoolClient } from 'pg';
import { isDatabaseOutage } from '@lethe/config';
import { createDataSource } from './data-source';
import { GuardedPgClient } from './pg-client';

// A server that accepts a connection and, in the same write, terminates it, as PostgreSQL does
// when pg_terminate_backend or a shutdown meets a connection that has just been set up: the
// pool's new client reads ReadyForQuery and the FATAL in one go, before its taker could listen.

function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`);
const authenticationOk = message('R', Buffer.from([0, 0, 0, 0]));
const readyForQuery = message('Z', Buffer.from('I'));
const terminated = message(
  'E',
  Buffer.concat([
    Buffer.from('S'), cstring('FATAL'),
    Buffer.from('V'), cstring('FATAL'),
    Buffer.from('C'), cstring('57P01'),
    Buffer.from('M'), cstring('terminating connection due to administrator command'),
    Buffer.from([0]),
  ]),
);

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((socket: Socket) => {
    // The startup message is the first thing the client sends; any later byte is left unanswered.
    socket.once('data', () => {
      socket.write(Buffer.concat([authenticationOk, readyForQuery, terminated]));
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

it('survives a connection terminated in the same read that set it up, and its next query reports an outage', async () => {
  const pool = new Pool({ Client: GuardedPgClient, host: '127.0.0.1', port, user: 'lethe', database: 'lethe', max: 1 });
  pool.on('error', () => undefined);
  // As TypeORM takes a connection: the listener comes in a promise continuation, too late for that read.
  const client: PoolClient = await pool.connect();
  client.on('error', () => undefined);
  const failure = await client.query('select 1').then(() => null, (error: unknown) => error);
  client.release(true);
  expect(failure).toBeInstanceOf(Error);
  expect(isDatabaseOutage(failure)).toBe(true);
  await pool.end();
});

it("is what Lethe's data source connects with: start-up against such a server fails with an outage, the process stays", async () => {
  const failure = await createDataSource({ url: `postgres://lethe@127.0.0.1:${port}/lethe` })
    .initialize()
    .then(() => null, (error: unknown) => error);
  expect(isDatabaseOutage(failure)).toBe(true);
});
