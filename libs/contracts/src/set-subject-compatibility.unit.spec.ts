import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { setSubjectCompatibility } from './codec';

// A cold Apicurio answers 409 ("A rule named 'COMPATIBILITY' already exists.") to all but one of
// several processes that pin the same new subject at once. Served here by a small HTTP server,
// because a warm registry no longer shows the race (the codec spec covers the real registry).

let server: Server;
let url: string;
let answers: number[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const status = answers.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"compatibility":"BACKWARD"}' : '{"message":"A rule named \'COMPATIBILITY\' already exists.","error_code":0}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));
beforeEach(() => (seen.length = 0));

it('sets the level again when another process created the rule at the same moment', async () => {
  answers = [409, 409, 200];
  await setSubjectCompatibility(url, 'consent.log-value', COMPATIBILITY.BACKWARD);
  expect(seen).toEqual(Array(3).fill('PUT /config/consent.log-value'));
});

it('gives up after its attempts, and at once on any other refusal', async () => {
  answers = [409, 409, 409];
  await expect(setSubjectCompatibility(url, 's-value', COMPATIBILITY.BACKWARD, 3)).rejects.toThrow('schema registry refused compatibility BACKWARD for s-value: HTTP 409');
  answers = [422];
  await expect(setSubjectCompatibility(url, 's-value', COMPATIBILITY.BACKWARD)).rejects.toThrow(/HTTP 422/);
  expect(seen).toHaveLength(4);
});
