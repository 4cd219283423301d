/**
 * The trend: after each full pass, today's row per group (UTC day) is
 * written from the stored results, replacing the one an earlier pass that
 * day wrote. One statement, aggregated in the database.
 */
import { ACHIEVED_LEVELS } from '@palisade/core';
import type { Queryable } from '../db/index.ts';

export async function recordDailySnapshot(q: Queryable, at: Date): Promise<void> {
  await q.query(
    `WITH levels AS (
       SELECT d.group_name, c.achieved_level, count(*)::int AS n
         FROM devices d JOIN compliance_devices c ON c.device_id = d.id
        WHERE d.state <> 'decommissioned' GROUP BY 1, 2
     ), level_counts AS (
       SELECT group_name, sum(n)::int AS devices, jsonb_object_agg(achieved_level, n) AS levels
         FROM levels GROUP BY 1
     ), failing AS (
       SELECT d.group_name, f.control, f.status, count(*)::int AS n
         FROM compliance_devices c JOIN devices d ON d.id = c.device_id
         CROSS JOIN LATERAL (
           SELECT control, 'not_met' AS status FROM unnest(c.not_met) AS control
           UNION ALL SELECT control, 'unknown' FROM unnest(c.unknown) AS control
         ) f
        WHERE d.state <> 'decommissioned' GROUP BY 1, 2, 3
     ), failing_counts AS (
       SELECT group_name,
              COALESCE(jsonb_object_agg(control, n) FILTER (WHERE status = 'not_met'), '{}') AS not_met,
              COALESCE(jsonb_object_agg(control, n) FILTER (WHERE status = 'unknown'), '{}') AS unknown
         FROM failing GROUP BY 1
     )
     INSERT INTO compliance_daily (day, group_name, target_level, devices, at_target, levels, not_met, unknown, recorded_at)
     SELECT $1::date, g.name, g.target_level, COALESCE(l.devices, 0),
            COALESCE((SELECT sum(v.n) FROM levels v WHERE v.group_name = g.name
                        AND array_position($3::text[], v.achieved_level) >= array_position($3::text[], g.target_level)), 0),
            COALESCE(l.levels, '{}'), COALESCE(f.not_met, '{}'), COALESCE(f.unknown, '{}'), $2
       FROM device_groups g
       LEFT JOIN level_counts l ON l.group_name = g.name
       LEFT JOIN failing_counts f ON f.group_name = g.name
     ON CONFLICT (day, group_name) DO UPDATE SET target_level = EXCLUDED.target_level, devices = EXCLUDED.devices,
       at_target = EXCLUDED.at_target, levels = EXCLUDED.levels, not_met = EXCLUDED.not_met,
       unknown = EXCLUDED.unknown, recorded_at = EXCLUDED.recorded_at`,
    [at.toISOString().slice(0, 10), at, ACHIEVED_LEVELS],
  );
}
