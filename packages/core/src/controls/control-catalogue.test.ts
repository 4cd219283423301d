import assert from 'node:assert/strict';
// biome-ignore lint/style/noRestrictedImports: the test reads docs/requirements.md, the catalogue's source
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONTROL_IDS } from '../events/control-ids.ts';
import { CONTROL_CATALOGUE, controlsRequiredAt } from './control-catalogue.ts';
import { CONTROL_FAMILIES } from './control-definition.ts';
import { SECURITY_LEVELS, type SecurityLevel } from './security-levels.ts';

/**
 * docs/requirements.md is the project's REQUIREMENTS.md, committed so that
 * the repository is self-contained; the catalogue must say what it says.
 */
const REQUIREMENTS = readFileSync(new URL('../../../../docs/requirements.md', import.meta.url), 'utf8');

const LEVEL_LETTERS: Readonly<Record<string, SecurityLevel>> = { B: 'SLB', E: 'SLE', C: 'SLC' };

interface DocumentedControl {
  readonly id: string;
  readonly family: string;
  readonly familyName: string;
  readonly levels: readonly SecurityLevel[];
  readonly requirement: string;
  readonly evidence: string;
}

function documentedControls(markdown: string): DocumentedControl[] {
  const controls: DocumentedControl[] = [];
  let family = { code: '', name: '' };
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+) \(([A-Z]{2})\)$/.exec(line);
    if (heading?.[1] && heading[2]) family = { code: heading[2], name: heading[1] };
    // Cells are padded to the column width by the formatter.
    const row = /^\| ([A-Z]{2}-\d+) +\| ([BEC ]+?) +\| (.+?) +\| (.+?) +\|$/.exec(line);
    if (!row?.[1] || !row[2] || !row[3] || !row[4]) continue;
    controls.push({
      id: row[1],
      family: family.code,
      familyName: family.name,
      levels: row[2]
        .trim()
        .split(' ')
        .map((letter) => LEVEL_LETTERS[letter] as SecurityLevel),
      requirement: row[3],
      evidence: row[4],
    });
  }
  return controls;
}

describe('CONTROL_CATALOGUE', () => {
  const documented = documentedControls(REQUIREMENTS);

  it('lists the controls of docs/requirements.md, in its order, with the same IDs as events use', () => {
    assert.equal(documented.length, 29);
    assert.deepEqual(
      CONTROL_CATALOGUE.map((c) => c.id),
      documented.map((c) => c.id),
    );
    assert.deepEqual(
      CONTROL_CATALOGUE.map((c) => c.id),
      [...CONTROL_IDS],
    );
  });

  it('states each requirement, its levels, its evidence and its family word for word', () => {
    assert.deepEqual(
      CONTROL_CATALOGUE.map((c) => ({
        id: c.id,
        family: c.family,
        familyName: CONTROL_FAMILIES[c.family],
        levels: c.levels,
        requirement: c.requirement,
        evidence: c.evidence,
      })),
      documented,
    );
  });

  it('maps every control to IEC 62443-3-3 requirements and NIST SP 800-53r5 controls', () => {
    for (const control of CONTROL_CATALOGUE) {
      assert.ok(control.iec62443.length > 0, control.id);
      assert.ok(control.nist80053.length > 0, control.id);
      for (const sr of control.iec62443) assert.match(sr, /^SR [1-7]\.\d{1,2}( RE \d)?$/, control.id);
      for (const nist of control.nist80053)
        assert.match(nist, /^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$/, control.id);
      assert.ok(control.title.length > 0 && control.title.length <= 60, control.id);
    }
  });

  it('gives every device-reported or periodic window a positive length', () => {
    for (const { id, freshness } of CONTROL_CATALOGUE) {
      if (freshness.kind === 'device-contact' || freshness.kind === 'periodic')
        assert.ok(Number.isInteger(freshness.seconds) && freshness.seconds > 0, id);
    }
  });

  it('has a section in docs/compliance.md for every control, titled and levelled as the catalogue says', () => {
    const guide = readFileSync(new URL('../../../../docs/compliance.md', import.meta.url), 'utf8');
    const sections = [...guide.matchAll(/^### ([A-Z]{2}-\d+) (.+) \(([BEC ]+)\)$/gm)].map((m) => ({
      id: m[1],
      title: m[2],
      levels: m[3],
    }));
    assert.deepEqual(
      sections,
      CONTROL_CATALOGUE.map((c) => ({
        id: c.id,
        title: c.title,
        levels: c.levels.map((l) => l.slice(2)).join(' '),
      })),
    );
  });

  it('nests the levels: what SLB requires, SLE and SLC require too', () => {
    const [basic, enhanced, critical] = SECURITY_LEVELS.map((level) =>
      controlsRequiredAt(level).map((c) => c.id),
    );
    assert.ok(basic?.every((id) => enhanced?.includes(id)));
    assert.ok(enhanced?.every((id) => critical?.includes(id)));
    assert.equal(critical?.length, 29);
    assert.deepEqual(
      enhanced?.filter((id) => !basic?.includes(id)),
      ['RT-2', 'RT-3', 'CM-2'],
    );
  });
});
