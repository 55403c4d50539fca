// The lists of kinds are written once, in src/model.ts; the published JSON Schema must say the
// same. A new hop role or rewrite field fails here until schema/report.schema.json has it too.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDING_CODES, HOP_ROLES, REWRITE_FIELDS, VERDICTS } from '../../src/model.js';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'report.schema.json'), 'utf8'));

/** Every enum under a property of this name, wherever it is in the schema. */
function enumsOf(node: unknown, property: string, found: unknown[][] = []): unknown[][] {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === property && value && typeof value === 'object' && Array.isArray((value as { enum?: unknown[] }).enum)) found.push((value as { enum: unknown[] }).enum);
      enumsOf(value, property, found);
    }
  }
  return found;
}

describe('the JSON Schema and the lists of kinds in model.ts', () => {
  it('names the same rewrite fields', () => {
    expect(enumsOf(schema, 'field')).toEqual([[...REWRITE_FIELDS]]);
  });

  it('names the same hop roles', () => {
    expect(enumsOf(schema, 'role')).toEqual([[...HOP_ROLES]]);
  });
});

describe('the JSON Schema and the verdicts and finding codes in model.ts', () => {
  it('names the same verdicts', () => {
    expect(enumsOf(schema, 'verdict')).toEqual([[...VERDICTS]]);
  });

  it('names the same finding codes, one item shape each', () => {
    const items = schema.$defs.flow.properties.findings.items.oneOf as { properties: { code: { const: string } } }[];
    expect(items.map((item) => item.properties.code.const)).toEqual([...FINDING_CODES]);
  });
});
