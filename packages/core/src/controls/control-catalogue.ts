import { CONTROL_IDS, type ControlId } from '../events/control-ids.ts';
import { MONITORING_CONTROLS } from './catalogue-monitoring.ts';
import { PROTECTION_CONTROLS } from './catalogue-protection.ts';
import { TRUST_CONTROLS } from './catalogue-trust.ts';
import type { ControlDefinition } from './control-definition.ts';
import type { SecurityLevel } from './security-levels.ts';

const BY_ID: ReadonlyMap<ControlId, ControlDefinition> = new Map(
  [...TRUST_CONTROLS, ...PROTECTION_CONTROLS, ...MONITORING_CONTROLS].map((c) => [c.id, c]),
);

function definitionOf(id: ControlId): ControlDefinition {
  const definition = BY_ID.get(id);
  // The catalogue test checks that every ID has exactly one definition; this guards the module's own data.
  if (!definition) throw new Error(`control ${id} has no definition in the catalogue`);
  return definition;
}

/**
 * The control catalogue of REQUIREMENTS.md as data, in the document's order
 * (the order of CONTROL_IDS). A test keeps it word for word in step with
 * docs/requirements.md.
 */
export const CONTROL_CATALOGUE: readonly ControlDefinition[] = CONTROL_IDS.map(definitionOf);

export function controlDefinition(id: ControlId): ControlDefinition {
  return definitionOf(id);
}

/** The controls a level requires. The sets nest: SLB ⊂ SLE ⊂ SLC. */
export function controlsRequiredAt(level: SecurityLevel): readonly ControlDefinition[] {
  return CONTROL_CATALOGUE.filter((c) => c.levels.includes(level));
}
