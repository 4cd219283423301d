export { parseRuleDocument } from './parse-rule-document.ts';
export type {
  DetectKind,
  EqualityLeaf,
  ExistsLeaf,
  InLeaf,
  NumberLeaf,
  RuleAction,
  RuleCondition,
  RuleDetect,
  RuleDocument,
  RuleField,
  RuleLeaf,
  RuleMemberField,
  RuleOperator,
  RuleScalar,
  TextLeaf,
  ThresholdScope,
} from './rule-document.ts';
export { defaultSuppressSeconds, deviceEvaluable, RULE_ID_PATTERN, RULE_LIMITS } from './rule-document.ts';
export type { EvaluationContext, RuleEngineOptions } from './rule-engine.ts';
export { RuleEngine } from './rule-engine.ts';
export type { RuleErrorCode } from './rule-error.ts';
export { RuleError } from './rule-error.ts';
export type { RuleFiring, RuleStateSize } from './rule-firing.ts';
export { MAX_FIRING_EVENTS } from './rule-firing.ts';
export type { SigmaImportOptions } from './sigma-import.ts';
export { sigmaToRule } from './sigma-import.ts';
