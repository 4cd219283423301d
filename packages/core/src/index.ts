export { canonicalJson } from './encoding/canonical-json.ts';
export type { FieldProblem } from './errors/palisade-error.ts';
export { PalisadeError } from './errors/palisade-error.ts';
export type { OperatorRole } from './operators/roles.ts';
export { isOperatorRole, OPERATOR_ROLES } from './operators/roles.ts';
