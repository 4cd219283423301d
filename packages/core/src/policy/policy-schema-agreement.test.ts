/**
 * POLICY_SCHEMAS and parsePolicyDocument must give the same answer: a
 * published schema that accepts what the parser refuses (or the reverse)
 * misleads every editor and CI that trusts it. Ajv (draft 2020-12) decides
 * for the schema. The parser may refuse more only for the constraints JSON
 * Schema cannot state, each listed in BEYOND_SCHEMA and in the schema's
 * `$comment`s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import fc from 'fast-check';
import type { FieldProblem } from '../errors/palisade-error.ts';
import { parsePolicyDocument } from './parse-policy-document.ts';
import { mutatedDocument, validDocument } from './policy-arbitraries.ts';
import { PolicyError } from './policy-error.ts';
import { EXAMPLE_DOCUMENTS, INVALID_DOCUMENTS } from './policy-fixtures.ts';
import type { PolicyKind } from './policy-kinds.ts';
import { POLICY_KINDS } from './policy-kinds.ts';
import { POLICY_SCHEMAS } from './policy-schemas.ts';

// strictRequired is off: `required` inside if/then/not names members the
// enclosing schema defines, which JSON Schema allows and Ajv's lint does not.
const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allErrors: true });
const validators = new Map(POLICY_KINDS.map((kind) => [kind, ajv.compile(POLICY_SCHEMAS[kind])]));

/** Problems only the parser can find, by where and what. */
const BEYOND_SCHEMA: readonly { readonly path: RegExp; readonly message: RegExp }[] = [
  { path: /^\/rules\/\d+\/ports\/\d+\/to$/, message: /^must not be below from/ },
  { path: /^\/rules\/\d+\/addresses\/\d+$/, message: /^has host bits set/ },
  { path: /^\/protectedPaths\/\d+\/path$/, message: /^is already protected by/ },
  { path: /^\/files\/\d+\/path$/, message: /^is already written by/ },
  { path: /^\/files\/\d+\/content$/, message: /bytes as UTF-8, limit/ },
  { path: /^\/files\/\d+\/contentBase64$/, message: /^decodes to \d+ bytes/ },
  // siem rules: the schema says "an object"; parseRuleDocument, deviceEvaluable and unique ids do the rest.
  { path: /^\/rules\/\d+(?:\/.*)?$/, message: /./ },
];

function beyondSchema(kind: PolicyKind, problem: FieldProblem): boolean {
  return BEYOND_SCHEMA.some(({ path, message }, index) => {
    const rulesOfSiem = index === BEYOND_SCHEMA.length - 1;
    return (rulesOfSiem ? kind === 'siem' : true) && path.test(problem.path) && message.test(problem.message);
  });
}

interface Verdicts {
  readonly schema: boolean;
  readonly parser: readonly FieldProblem[] | 'accepted';
}

function verdicts(kind: PolicyKind, document: unknown): Verdicts {
  const validate = validators.get(kind);
  assert.ok(validate);
  let parser: Verdicts['parser'] = 'accepted';
  try {
    parsePolicyDocument(kind, document);
  } catch (error) {
    assert.ok(error instanceof PolicyError && error.code === 'POLICY_INVALID', String(error));
    parser = error.problems;
  }
  return { schema: validate(document) === true, parser };
}

/** Same answer, or the schema accepts and every parser problem is one JSON Schema cannot state. */
function assertAgree(kind: PolicyKind, document: unknown): void {
  const { schema, parser } = verdicts(kind, document);
  const label = () => `${kind}: ${JSON.stringify(document)?.slice(0, 600)}`;
  if (parser === 'accepted') {
    assert.equal(
      schema,
      true,
      `the parser accepts what the schema refuses: ${label()} ${ajv.errorsText(validators.get(kind)?.errors)}`,
    );
  } else if (schema) {
    const unexplained = parser.filter((problem) => !beyondSchema(kind, problem));
    assert.deepEqual(unexplained, [], `the schema accepts what the parser refuses: ${label()}`);
  }
}

describe('POLICY_SCHEMAS', () => {
  it('are draft 2020-12 schemas with the published $id, compiled by Ajv in strict mode', () => {
    for (const kind of POLICY_KINDS) {
      assert.equal(POLICY_SCHEMAS[kind].$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(POLICY_SCHEMAS[kind].$id, `https://palisade.dev/schemas/policy/${kind}.json`);
      assert.ok(validators.get(kind));
    }
  });

  it('are plain JSON data (they survive a JSON round trip unchanged)', () => {
    for (const kind of POLICY_KINDS)
      assert.deepEqual(JSON.parse(JSON.stringify(POLICY_SCHEMAS[kind])), POLICY_SCHEMAS[kind]);
  });

  it('accept every example document', () => {
    for (const kind of POLICY_KINDS)
      assert.deepEqual(verdicts(kind, EXAMPLE_DOCUMENTS[kind]), { schema: true, parser: 'accepted' });
  });

  it('refuse every hand-written invalid document, except those only the parser can refuse', () => {
    for (const invalid of INVALID_DOCUMENTS) {
      const { schema, parser } = verdicts(invalid.kind, invalid.document);
      assert.notEqual(parser, 'accepted', invalid.name);
      assert.equal(schema, invalid.beyondSchema === true, `${invalid.kind}: ${invalid.name}`);
      assertAgree(invalid.kind, invalid.document);
    }
  });

  for (const kind of POLICY_KINDS) {
    it(`agree with the parser on generated valid ${kind} documents`, () => {
      fc.assert(
        fc.property(validDocument(kind), (document) => {
          assert.deepEqual(
            verdicts(kind, document),
            { schema: true, parser: 'accepted' },
            JSON.stringify(document),
          );
        }),
        { numRuns: 300 },
      );
    });

    it(`agree with the parser on ${kind} documents with one member deleted, replaced or added`, () => {
      fc.assert(
        fc.property(mutatedDocument(kind), (document) => assertAgree(kind, document)),
        { numRuns: 1500 },
      );
    });
  }
});
