/**
 * Evaluates devices page by page: five set-based evidence queries, the pure
 * evaluators of @palisade/core, and one write transaction per page. Memory
 * stays bounded by the page, whatever the size of the fleet.
 */
import type { EvidenceRows } from './assemble-evidence.ts';
import { forgetDevices, type SaveOutcome, saveEvaluations } from './compliance-store.ts';
import {
  type DeviceSelection,
  selectAttestation,
  selectCertificates,
  selectDevices,
  selectPolicyStatuses,
} from './device-evidence-queries.ts';
import { type Evaluated, evaluateRows } from './evaluate-rows.ts';
import { type EvaluationContext, type EvidenceSources, loadEvaluationContext } from './evaluation-context.ts';
import { type EncodedResults, encodeEvaluation } from './results-encoding.ts';

export type { Evaluated } from './evaluate-rows.ts';

/** Devices per page of a full pass: a few MB of evidence, one write of as many rows. */
export const DEFAULT_PAGE_SIZE = 2000;
/** Re-evaluations within this reuse the fleet facts (rules, exporters, groups) read for the previous one. */
const CONTEXT_MAX_AGE_MS = 5_000;

export interface PageOutcome {
  readonly evaluations: readonly Evaluated[];
  readonly changed: readonly string[];
  /** The last device ID of the page, to continue after. */
  readonly last: string | undefined;
}

export class ComplianceEvaluator {
  readonly #sources: EvidenceSources;
  readonly #now: () => Date;
  readonly #pageSize: number;
  #context: { readonly at: number; readonly value: Promise<EvaluationContext> } | undefined;

  constructor(sources: EvidenceSources, options: { readonly now: () => Date; readonly pageSize?: number }) {
    this.#sources = sources;
    this.#now = options.now;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  get pageSize(): number {
    return this.#pageSize;
  }

  now(): Date {
    return this.#now();
  }

  /** The fleet facts, read again when older than a few seconds or when `fresh` is asked for. */
  context(fresh = false): Promise<EvaluationContext> {
    const now = Date.now();
    if (fresh || !this.#context || now - this.#context.at > CONTEXT_MAX_AGE_MS) {
      const loading = loadEvaluationContext(this.#sources);
      this.#context = { at: now, value: loading };
      loading.catch(() => {
        if (this.#context?.value === loading) this.#context = undefined;
      });
    }
    return this.#context.value;
  }

  /** Evaluates and stores the given devices; those decommissioned or unknown are forgotten. */
  async evaluateDevices(ids: readonly string[], context?: EvaluationContext): Promise<Evaluated[]> {
    const unique = [...new Set(ids)];
    const evaluations: Evaluated[] = [];
    for (let i = 0; i < unique.length; i += this.#pageSize) {
      const slice = unique.slice(i, i + this.#pageSize);
      const page = await this.evaluatePage({ ids: slice }, context ?? (await this.context()));
      evaluations.push(...page.evaluations);
      const evaluated = new Set(page.evaluations.map((e) => e.evidence.deviceId));
      const gone = slice.filter((id) => !evaluated.has(id));
      if (gone.length > 0) await this.#sources.db.transaction((tx) => forgetDevices(tx, gone));
    }
    return evaluations;
  }

  /** One page in this thread: read its evidence, evaluate every device, store what changed. */
  async evaluatePage(selection: DeviceSelection, context: EvaluationContext): Promise<PageOutcome> {
    const rows = await this.readPage(selection);
    if (rows.devices.length === 0) return { evaluations: [], changed: [], last: undefined };
    const at = this.#now();
    const evaluations = evaluateRows(rows, context, at);
    const byDevice = new Map(evaluations.map((e) => [e.compliance.deviceId, e.compliance]));
    // Digests first; results are compressed only for the devices whose digest changed.
    const { changed } = await this.store(
      evaluations.map((e) => encodeEvaluation(e.compliance, () => false)),
      at,
      (deviceId) => {
        const compliance = byDevice.get(deviceId);
        return compliance && encodeEvaluation(compliance, () => true);
      },
    );
    return { evaluations, changed, last: rows.devices.at(-1)?.id };
  }

  /** The evidence rows of a page: five set-based queries, three of them at once. */
  async readPage(selection: DeviceSelection): Promise<EvidenceRows> {
    const { db } = this.#sources;
    const devices = await selectDevices(db, selection);
    if (devices.length === 0) return { devices, certificates: [], attestation: [], policyStatuses: [] };
    const ids = devices.map((d) => d.id);
    const [certificates, attestation, policyStatuses] = await Promise.all([
      selectCertificates(db, ids),
      selectAttestation(db, ids),
      selectPolicyStatuses(db, ids),
    ]);
    return { devices, certificates, attestation, policyStatuses };
  }

  /** Stores encoded evaluations made at `at`, in one transaction. */
  store(
    encoded: readonly EncodedResults[],
    at: Date,
    withResults: (deviceId: string) => EncodedResults | undefined = () => undefined,
  ): Promise<SaveOutcome> {
    return this.#sources.db.transaction((tx) => saveEvaluations(tx, encoded, at, withResults));
  }
}
