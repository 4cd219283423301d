/**
 * The `compliance` context's one service: each device evaluated against
 * every control from the evidence the other contexts hold, re-evaluated when
 * its evidence changes and in a periodic full pass, shown per device, group
 * and fleet, and handed out as signed reports.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Queryable } from '../db/index.ts';
import { DeviceError } from '../devices/index.ts';
import type { CaHierarchy } from '../pki/index.ts';
import { ComplianceError } from './compliance-error.ts';
import { ComplianceEvaluator } from './compliance-evaluator.ts';
import { buildReport, type ReportFormat } from './compliance-report.ts';
import {
  type DeviceComplianceView,
  deviceView,
  type FailingControl,
  failingControls,
  type GroupLevels,
  groupLevels,
  groupMatrix,
  lastFullPass,
  type MatrixPage,
  type PassSummary,
  type TrendPoint,
  trend,
} from './compliance-views.ts';
import type { EvidenceSources } from './evaluation-context.ts';
import {
  COMPLIANCE_CHANNEL,
  type EvidenceListener,
  notifyEvidenceChangeIn,
  parseEvidenceChange,
} from './evidence-hooks.ts';
import { FullPass, type PassOutcome } from './full-pass.ts';
import { ReevaluationQueue } from './reevaluation-queue.ts';
import { reportCsv } from './report-csv.ts';
import { reportHtml } from './report-html.ts';
import { chromiumPdfRenderer, type PdfRenderer } from './report-pdf.ts';
import { ReportSigner } from './report-signer.ts';
import { loadReport, pruneReports, type StoredReport, storeReport } from './report-store.ts';

export interface ComplianceServiceDeps extends EvidenceSources {
  readonly audit: AuditLog;
  readonly ca: CaHierarchy;
  readonly now: () => Date;
  /** Named in every report's header. */
  readonly organization: string;
  readonly pdf?: PdfRenderer;
  /** How often a full pass runs across the replicas (default 10 minutes). */
  readonly fullPassIntervalMs?: number;
  /** How long changes are collected before a re-evaluation (default 100 ms). */
  readonly reevaluationDelayMs?: number;
  readonly pageSize?: number;
}

export interface GroupComplianceView extends GroupLevels {
  readonly failingControls: readonly FailingControl[];
  readonly matrix: MatrixPage;
}

export interface FleetComplianceView {
  readonly groups: readonly GroupLevels[];
  readonly failingControls: readonly FailingControl[];
  readonly trend: readonly TrendPoint[];
  readonly lastFullPass: PassSummary | null;
}

export const DEFAULT_FULL_PASS_INTERVAL_MS = 10 * 60 * 1000;
/** The first full pass waits for the panel to settle after a start. */
const FIRST_PASS_DELAY_MS = 15_000;
/** Devices one report may hold; a larger group is reported in JSON or CSV from the API's matrix. */
export const MAX_REPORT_DEVICES: Readonly<Record<ReportFormat, number>> = {
  json: 5000,
  csv: 5000,
  html: 5000,
  pdf: 1000,
};
const MEDIA_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

export class ComplianceService implements EvidenceListener {
  /** Tells this replica's own notifications from the others'. */
  readonly replica = randomUUID();
  readonly evaluator: ComplianceEvaluator;
  readonly #d: ComplianceServiceDeps;
  readonly #queue: ReevaluationQueue;
  readonly #fullPass: FullPass;
  readonly #signer: ReportSigner;
  readonly #pdf: PdfRenderer;
  #onError: (error: unknown) => void = () => undefined;
  readonly #stops: Array<() => Promise<void>> = [];

  constructor(deps: ComplianceServiceDeps) {
    this.#d = deps;
    this.evaluator = new ComplianceEvaluator(deps, {
      now: deps.now,
      ...(deps.pageSize === undefined ? {} : { pageSize: deps.pageSize }),
    });
    this.#queue = new ReevaluationQueue(
      async (ids) => {
        await this.evaluator.evaluateDevices(ids);
      },
      {
        delayMs: deps.reevaluationDelayMs ?? 100,
        batch: this.evaluator.pageSize,
        onError: (error) => this.#onError(error),
      },
    );
    this.#fullPass = new FullPass(deps.db, this.evaluator, { owner: this.replica, now: deps.now });
    this.#signer = new ReportSigner(deps.ca, { now: deps.now, organization: deps.organization });
    this.#pdf = deps.pdf ?? chromiumPdfRenderer();
  }

  /** The devices' evidence changed: re-evaluate them shortly. */
  evidenceChanged(deviceIds: readonly string[]): void {
    this.#queue.add(deviceIds);
  }

  /** Inside a transaction that changes evidence: re-evaluates the devices once it commits. */
  notifyIn(tx: Queryable, deviceIds: readonly string[]): Promise<void> {
    return notifyEvidenceChangeIn(tx, this.replica, deviceIds);
  }

  /** Resolves when every re-evaluation asked for so far has been stored. */
  settled(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Follows this replica's in-transaction notifications and runs the periodic
   * full pass; failures of either go to `onError` and are retried later.
   */
  async start(onError: (error: unknown) => void): Promise<void> {
    this.#onError = onError;
    const unlisten = await this.#d.db.listen(COMPLIANCE_CHANNEL, (payload) => {
      const devices = parseEvidenceChange(payload, this.replica);
      if (devices) this.evidenceChanged(devices);
    });
    this.#stops.push(unlisten);
    const interval = this.#d.fullPassIntervalMs ?? DEFAULT_FULL_PASS_INTERVAL_MS;
    let running: Promise<unknown> | undefined;
    const tick = () => {
      running ??= this.runFullPass({ intervalMs: interval })
        .catch((error: unknown) => this.#onError(error))
        .finally(() => {
          running = undefined;
        });
    };
    const first = setTimeout(tick, Math.min(FIRST_PASS_DELAY_MS, interval));
    // Every replica ticks; the claim lets one pass run per interval across them.
    const timer = setInterval(tick, Math.max(1000, Math.floor(interval / 4)));
    first.unref();
    timer.unref();
    this.#stops.push(async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    });
  }

  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) await stop();
    await this.#queue.stop();
  }

  /** A full pass, unless one runs on another replica or (without `force`) ran within the interval. */
  async runFullPass(
    options: { readonly intervalMs?: number; readonly force?: boolean } = {},
  ): Promise<PassOutcome | undefined> {
    const outcome = await this.#fullPass.run({
      intervalMs: options.intervalMs ?? this.#d.fullPassIntervalMs ?? DEFAULT_FULL_PASS_INTERVAL_MS,
      ...(options.force === undefined ? {} : { force: options.force }),
    });
    if (outcome) await pruneReports(this.#d.db, this.#d.now());
    return outcome;
  }

  /** The device evaluated now, control by control. @throws DeviceError DEVICE_NOT_FOUND, DEVICE_STATE_CONFLICT */
  async device(deviceId: string): Promise<DeviceComplianceView> {
    const device = await this.#d.devices.get(deviceId);
    // An operator asking sees the policies and rules as they are now, not as a few seconds ago.
    const [evaluated] = await this.evaluator.evaluateDevices([device.id], await this.evaluator.context(true));
    if (!evaluated)
      throw new DeviceError(
        'DEVICE_STATE_CONFLICT',
        `device ${deviceId} is decommissioned: it is not evaluated`,
      );
    return deviceView(evaluated.compliance, {
      state: evaluated.evidence.state,
      quarantine: evaluated.evidence.quarantine ?? null,
    });
  }

  /** @throws DeviceError GROUP_NOT_FOUND */
  async group(
    name: string,
    page: { readonly after?: string | undefined; readonly limit: number },
  ): Promise<GroupComplianceView> {
    const group = await this.#d.devices.group(name);
    const [levels] = await groupLevels(this.#d.db, group.name);
    if (!levels) throw new DeviceError('GROUP_NOT_FOUND', `no device group ${name}`);
    return {
      ...levels,
      failingControls: await failingControls(this.#d.db, group.name, 29),
      matrix: await groupMatrix(this.#d.db, group.name, page),
    };
  }

  async fleet(days: number): Promise<FleetComplianceView> {
    const since = new Date(this.#d.now().getTime() - (days - 1) * 24 * 3600 * 1000);
    return {
      groups: await groupLevels(this.#d.db),
      failingControls: await failingControls(this.#d.db, undefined, 10),
      trend: await trend(this.#d.db, since),
      lastFullPass: await lastFullPass(this.#d.db),
    };
  }

  /**
   * Evaluates the group's devices now and renders, signs, stores and audits
   * the report. @throws DeviceError GROUP_NOT_FOUND; ComplianceError REPORT_TOO_LARGE,
   * REPORT_RENDERER_UNAVAILABLE
   */
  async report(input: {
    readonly group: string;
    readonly format: ReportFormat;
    readonly actor: string;
    readonly source?: string;
  }): Promise<StoredReport> {
    const { db, devices, audit } = this.#d;
    const group = await devices.group(input.group);
    const limit = MAX_REPORT_DEVICES[input.format];
    const members = await db.query<{ id: string }>(
      `SELECT id FROM devices WHERE group_name = $1 AND state <> 'decommissioned' ORDER BY id LIMIT $2`,
      [group.name, limit + 1],
    );
    if (members.rows.length > limit)
      throw new ComplianceError(
        'REPORT_TOO_LARGE',
        `group ${group.name} has more than ${limit} devices, the most one ${input.format} report holds`,
        { details: { limit } },
      );
    const evaluated = await this.evaluator.evaluateDevices(
      members.rows.map((r) => r.id),
      await this.evaluator.context(true),
    );
    const generatedAt = this.#d.now();
    const report = buildReport({
      id: randomUUID(),
      generatedAt,
      generatedBy: input.actor,
      organization: this.#d.organization,
      group: { name: group.name, targetLevel: group.targetLevel },
      devices: evaluated.map((e) => ({ state: e.evidence.state, compliance: e.compliance })),
    });
    const content = await this.#render(report, input.format);
    const stored: StoredReport = {
      id: report.id,
      group: group.name,
      format: input.format,
      mediaType: MEDIA_TYPES[input.format],
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
      signature: Buffer.from(await this.#signer.sign(content)),
      devices: report.devices.length,
      generatedBy: input.actor,
      generatedAt: report.generatedAt,
    };
    await db.transaction(async (tx) => {
      await storeReport(tx, stored);
      await audit.appendIn(tx, {
        actor: input.actor,
        action: 'compliance.report',
        target: `group:${group.name}`,
        outcome: 'success',
        source: input.source,
        details: {
          reportId: stored.id,
          format: stored.format,
          sha256: stored.sha256,
          devices: stored.devices,
        },
      });
    });
    return stored;
  }

  /** A report as it was handed out, with its signature. @throws ComplianceError REPORT_NOT_FOUND */
  storedReport(id: string): Promise<StoredReport> {
    return loadReport(this.#d.db, id);
  }

  async #render(report: ReturnType<typeof buildReport>, format: ReportFormat): Promise<Buffer> {
    switch (format) {
      case 'json':
        return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
      case 'csv':
        return Buffer.from(reportCsv(report));
      case 'html':
        return Buffer.from(reportHtml(report));
      case 'pdf':
        return Buffer.from(await this.#pdf.render(reportHtml(report)));
    }
  }
}
