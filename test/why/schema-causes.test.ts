// The kinds of cause and the cause detail types are written once, in src/evidence/types.ts;
// the published JSON Schema must name the same. A new detail type fails here until the schema has it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAUSE_DETAIL_TYPES, CAUSE_KINDS, HOST_ICMP_REASONS } from '../../src/evidence/types.js';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'report.schema.json'), 'utf8'));
const cause = schema.$defs.cause;

describe('the JSON Schema and the cause lists in src/evidence/types.ts', () => {
  it('names the same kinds of cause', () => {
    expect(cause.properties.kind.enum).toEqual([...CAUSE_KINDS]);
  });

  it('names the same detail types, and says each in its description', () => {
    expect(cause.properties.detail.properties.type.enum).toEqual([...CAUSE_DETAIL_TYPES]);
    for (const type of CAUSE_DETAIL_TYPES) expect(cause.description).toContain(type);
  });

  it('describes the reasons a host-made ICMP error can have', () => {
    for (const reason of HOST_ICMP_REASONS) expect(cause.description).toContain(reason);
  });
});
