/**
 * Renders TypeScript types from an Avro schema, so the .avsc files stay the one source of truth.
 * Named records become interfaces and enums become string unions with a const list of symbols.
 * A union of several records (the event payload) becomes a union tagged by `type`, which is
 * how the codec presents Avro's wrapped unions to the rest of the code.
 */
type Schema = string | Schema[] | { type: string; [key: string]: unknown };

interface Field {
  name: string;
  type: Schema;
  doc?: string;
}

const primitives: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

export function renderTypes(root: Schema, sourceName: string): string {
  const declarations: string[] = [];
  const seen = new Set<string>();

  const shortName = (name: string) => name.split('.').pop() as string;

  function typeOf(schema: Schema, taggedUnionName?: string): string {
    if (typeof schema === 'string') return primitives[schema] ?? shortName(schema);
    if (Array.isArray(schema)) return unionOf(schema, taggedUnionName);
    switch (schema.type) {
      case 'record':
        return declareRecord(schema as unknown as { name: string; fields: Field[]; doc?: string });
      case 'enum':
        return declareEnum(schema as unknown as { name: string; symbols: string[] });
      case 'array':
        return `${wrap(typeOf(schema.items as Schema))}[]`;
      case 'map':
        return `Record<string, ${typeOf(schema.values as Schema)}>`;
      default:
        return primitives[schema.type] ?? shortName(schema.type);
    }
  }

  function wrap(type: string): string {
    return type.includes('|') ? `(${type})` : type;
  }

  function unionOf(branches: Schema[], taggedUnionName?: string): string {
    const records = branches.filter((b) => typeof b === 'object' && !Array.isArray(b) && b.type === 'record');
    if (records.length > 1) {
      const name = taggedUnionName ?? 'Union';
      const names = records.map((r) => typeOf(r));
      declarations.push(
        `export const ${constName(name)}_TYPES = [${names.map((n) => `'${n}'`).join(', ')}] as const;\n` +
          `export type ${name}Type = (typeof ${constName(name)}_TYPES)[number];\n` +
          `export type ${name} =\n${names.map((n) => `  | ({ type: '${n}' } & ${n})`).join('\n')};\n` +
          `/** The payload of the given type. */\n` +
          `export type ${name}Of<T extends ${name}Type> = Extract<${name}, { type: T }>;`,
      );
      return name;
    }
    return branches.map((b) => typeOf(b)).join(' | ');
  }

  function declareRecord(record: { name: string; fields: Field[]; doc?: string }): string {
    const name = shortName(record.name);
    if (seen.has(name)) return name;
    seen.add(name);
    const fields = record.fields.map((field) => {
      const tagged = Array.isArray(field.type) ? `${name}${pascal(field.name)}` : undefined;
      const doc = field.doc ? `  /** ${field.doc} */\n` : '';
      return `${doc}  ${field.name}: ${typeOf(field.type, tagged)};`;
    });
    const doc = record.doc ? `/** ${record.doc} */\n` : '';
    declarations.push(`${doc}export interface ${name} {\n${fields.join('\n')}${fields.length ? '\n' : ''}}`);
    return name;
  }

  function declareEnum(schema: { name: string; symbols: string[] }): string {
    const name = shortName(schema.name);
    if (seen.has(name)) return name;
    seen.add(name);
    declarations.push(
      `export const ${constName(name)}_SYMBOLS = [${schema.symbols.map((s) => `'${s}'`).join(', ')}] as const;\n` +
        `export type ${name} = (typeof ${constName(name)}_SYMBOLS)[number];`,
    );
    return name;
  }

  typeOf(root);
  return (
    `// Generated from ${sourceName} by tools/codegen/generate-contracts.ts. Do not edit:\n` +
    `// change the schema and run \`npm run codegen\`.\n\n` +
    declarations.join('\n\n') +
    '\n'
  );
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

function constName(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}
