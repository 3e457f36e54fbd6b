import { parseSystemsFile } from '@lethe/connectors';
import { buildConnector } from './connectors';

// A sql system asked to anonymize on an opt-out must say how for every table: otherwise it is
// refused at start, naming the tables, rather than deleting (or skipping) those rows later.

const shop = (customers: Record<string, unknown>) =>
  parseSystemsFile({
    systems: [
      {
        name: 'shop',
        type: 'sql',
        url: 'postgres://127.0.0.1:1/shop',
        subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
        tables: [{ name: 'customers', root: true, ...customers }],
        onOptOut: { marketing: 'anonymize' },
      },
    ],
  }).systems[0];

it('refuses onOptOut anonymize on a sql system with a table it could only delete', () => {
  expect(() => buildConnector(shop({ action: 'delete' }), [])).toThrow(/systems\[0\]\.onOptOut\.marketing: anonymize needs every table to say how: tables customers declare no fields/);
});

it('accepts it when every table declares its fields', async () => {
  const connector = buildConnector(shop({ action: 'delete', whenKeepingHistory: 'anonymize', fields: { email: 'redact' } }), []);
  expect(connector.system).toBe('shop');
  await connector.close();
});
