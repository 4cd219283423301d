import type { ControlId } from '../events/control-ids.ts';
import type { ControlEvaluator } from './control-evaluator.ts';
import { evaluateSc1, evaluateSc2, evaluateSc3, evaluateSc4 } from './evaluate-communications.ts';
import { evaluateCr1, evaluateCr2, evaluateCr3, evaluateCr4, evaluateCr5 } from './evaluate-crypto.ts';
import { evaluatePd1, evaluatePd2, evaluatePd3 } from './evaluate-dashboard.ts';
import { evaluateId1, evaluateId2, evaluateId3 } from './evaluate-identity.ts';
import { evaluateCm1, evaluateCm2 } from './evaluate-management.ts';
import { evaluateMo1, evaluateMo2 } from './evaluate-monitoring.ts';
import { evaluateRt1, evaluateRt2, evaluateRt3 } from './evaluate-root-of-trust.ts';
import { evaluateSb1, evaluateSb2, evaluateSb3 } from './evaluate-secure-boot.ts';
import { evaluateSi1, evaluateSi2, evaluateSi3, evaluateSi4 } from './evaluate-siem.ts';

/** One evaluator per control of the catalogue; the record type makes a missing one a compile error. */
export const CONTROL_EVALUATORS: Readonly<Record<ControlId, ControlEvaluator>> = {
  'RT-1': evaluateRt1,
  'RT-2': evaluateRt2,
  'RT-3': evaluateRt3,
  'ID-1': evaluateId1,
  'ID-2': evaluateId2,
  'ID-3': evaluateId3,
  'SB-1': evaluateSb1,
  'SB-2': evaluateSb2,
  'SB-3': evaluateSb3,
  'CR-1': evaluateCr1,
  'CR-2': evaluateCr2,
  'CR-3': evaluateCr3,
  'CR-4': evaluateCr4,
  'CR-5': evaluateCr5,
  'CM-1': evaluateCm1,
  'CM-2': evaluateCm2,
  'SC-1': evaluateSc1,
  'SC-2': evaluateSc2,
  'SC-3': evaluateSc3,
  'SC-4': evaluateSc4,
  'MO-1': evaluateMo1,
  'MO-2': evaluateMo2,
  'PD-1': evaluatePd1,
  'PD-2': evaluatePd2,
  'PD-3': evaluatePd3,
  'SI-1': evaluateSi1,
  'SI-2': evaluateSi2,
  'SI-3': evaluateSi3,
  'SI-4': evaluateSi4,
};
