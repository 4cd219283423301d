/**
 * The condition of a Sigma rule (Sigma rules specification v2, "Condition"),
 * parsed by recursive descent into a small tree:
 *
 *   expr    := and ('or' and)*               precedence, least binding first:
 *   and     := not ('and' not)*              or < and < not < x of < ( )
 *   not     := 'not' not | primary
 *   primary := '(' expr ')' | ('1' | 'all') 'of' (pattern | 'them') | identifier
 *
 * Keywords are matched case-insensitively. Input length and nesting are
 * bounded, so a hostile condition cannot exhaust the stack.
 */

export type SigmaExpression =
  | { readonly kind: 'ref'; readonly name: string }
  | { readonly kind: 'and' | 'or'; readonly items: readonly SigmaExpression[] }
  | { readonly kind: 'not'; readonly item: SigmaExpression }
  /** `1 of pattern` (any) or `all of pattern`; `them` is the pattern `*` minus identifiers starting with `_`. */
  | { readonly kind: 'of'; readonly quantifier: 'any' | 'all'; readonly pattern: string | 'them' };

/** Why a condition was refused: `unsupported` for valid Sigma that Palisade does not evaluate. */
export class SigmaConditionProblem {
  readonly message: string;
  readonly kind: 'invalid' | 'unsupported' | 'complex';

  constructor(kind: SigmaConditionProblem['kind'], message: string) {
    this.kind = kind;
    this.message = message;
  }
}

export const SIGMA_CONDITION_LIMITS = { length: 4096, nesting: 32 } as const;

const TOKEN = /\s*(\(|\)|\||[^\s()|]+)/y;
const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'near']);

/** Parses one condition string, or throws a SigmaConditionProblem. */
export function parseSigmaCondition(text: string): SigmaExpression {
  if (text.length > SIGMA_CONDITION_LIMITS.length) {
    throw new SigmaConditionProblem(
      'complex',
      `is ${text.length} characters, limit ${SIGMA_CONDITION_LIMITS.length}`,
    );
  }
  const tokens = tokenize(text);
  let position = 0;
  let nesting = 0;
  const peek = (): string | undefined => tokens[position];
  const peekWord = (): string | undefined => peek()?.toLowerCase();
  const next = (): string | undefined => tokens[position++];
  const expect = (what: string): string => {
    const token = next();
    if (token === undefined) throw invalid(`ends where ${what} was expected`);
    return token;
  };
  const deeper = <T>(parse: () => T): T => {
    nesting += 1;
    if (nesting > SIGMA_CONDITION_LIMITS.nesting) {
      throw new SigmaConditionProblem(
        'complex',
        `nests deeper than ${SIGMA_CONDITION_LIMITS.nesting} levels`,
      );
    }
    const result = parse();
    nesting -= 1;
    return result;
  };

  const parseOr = (): SigmaExpression => {
    const items = [parseAnd()];
    while (peekWord() === 'or') {
      next();
      items.push(parseAnd());
    }
    return items.length === 1 && items[0] ? items[0] : { kind: 'or', items };
  };
  const parseAnd = (): SigmaExpression => {
    const items = [parseNot()];
    while (peekWord() === 'and') {
      next();
      items.push(parseNot());
    }
    return items.length === 1 && items[0] ? items[0] : { kind: 'and', items };
  };
  const parseNot = (): SigmaExpression => {
    if (peekWord() !== 'not') return parsePrimary();
    next();
    return deeper(() => ({ kind: 'not', item: parseNot() }));
  };
  const parsePrimary = (): SigmaExpression => {
    const token = expect('a search identifier, "not", "1 of", "all of" or "("');
    const word = token.toLowerCase();
    if (token === '(') {
      const inner = deeper(parseOr);
      if (expect('")"') !== ')') throw invalid(`has "${tokens[position - 1]}" where ")" was expected`);
      return inner;
    }
    if (peekWord() === 'of') {
      next();
      if (word !== '1' && word !== 'all') {
        const feature = /^\d+$/.test(word) ? `"${word} of" (only "1 of" and "all of")` : `"${token} of"`;
        throw new SigmaConditionProblem(/^\d+$/.test(word) ? 'unsupported' : 'invalid', `uses ${feature}`);
      }
      const target = expect('a search-identifier pattern or "them"');
      if (
        target === '(' ||
        target === ')' ||
        target === '|' ||
        (KEYWORDS.has(target.toLowerCase()) && target.toLowerCase() !== 'them')
      ) {
        throw invalid(`has "${target}" where a search-identifier pattern was expected`);
      }
      return {
        kind: 'of',
        quantifier: word === '1' ? 'any' : 'all',
        pattern: target.toLowerCase() === 'them' ? 'them' : target,
      };
    }
    if (token === ')' || KEYWORDS.has(word) || word === 'all')
      throw invalid(`has "${token}" where an identifier was expected`);
    return { kind: 'ref', name: token };
  };

  const expression = parseOr();
  if (position < tokens.length) throw invalid(`has "${tokens[position]}" after a complete expression`);
  return expression;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  // Every non-space character starts a token, so the sticky scan stops only at trailing space.
  for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
    const token = match[1] ?? '';
    if (token === '|') {
      throw new SigmaConditionProblem(
        'unsupported',
        'uses an aggregation ("| count() by …"), which Sigma v2 replaced by correlation rules',
      );
    }
    if (token.toLowerCase() === 'near')
      throw new SigmaConditionProblem('unsupported', 'uses the "near" operator');
    tokens.push(token);
  }
  if (tokens.length === 0) throw invalid('is empty');
  return tokens;
}

function invalid(message: string): SigmaConditionProblem {
  return new SigmaConditionProblem('invalid', message);
}
