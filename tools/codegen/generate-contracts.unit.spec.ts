import { readFileSync } from 'node:fs';
import { generatedFiles } from './generate-contracts';
import { renderTypes } from './avro-to-ts';

describe('generated contracts', () => {
  it('match the schemas (run `npm run codegen` after changing a schema)', () => {
    for (const { path, content } of generatedFiles()) {
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });

  it('render records, enums, nullable fields, maps and tagged unions', () => {
    const ts = renderTypes(
      {
        type: 'record',
        name: 'x.Outer',
        fields: [
          { name: 'maybe', type: ['null', 'string'] },
          { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'BLUE'] } },
          { name: 'counts', type: { type: 'map', values: 'long' } },
          {
            name: 'body',
            type: [
              { type: 'record', name: 'A', fields: [{ name: 'n', type: 'int' }] },
              { type: 'record', name: 'B', fields: [] },
            ],
          },
        ],
      },
      'inline',
    );
    expect(ts).toContain('maybe: null | string;');
    expect(ts).toContain("export const COLOR_SYMBOLS = ['RED', 'BLUE'] as const;");
    expect(ts).toContain('counts: Record<string, number>;');
    expect(ts).toContain("| ({ type: 'A' } & A)");
    expect(ts).toContain('body: OuterBody;');
  });
});
