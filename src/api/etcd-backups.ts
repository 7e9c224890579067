// spec.etcd.backups: when control planes snapshot etcd to the state store and how many snapshots they keep
// (docs/backups.md). The schedule is written verbatim as the timer's systemd OnCalendar= value, so the rule below
// only lets through what a unit file line can hold; systemd itself judges the calendar expression.

import type { FieldIssue } from '../core/errors.js';
import type { ClusterSpecBody, EtcdBackupsSpec, EtcdSpec } from './types.js';

/** What `create` puts in a new cluster's spec: one snapshot an hour, a day's worth kept. */
export const DEFAULT_ETCD_BACKUPS: EtcdBackupsSpec = { schedule: 'hourly', retain: 24 };
/** The schedule that turns scheduled backups off (`backup cluster` still takes one on demand). */
export const BACKUPS_OFF = 'off';
/** Upper bound for retain: the retention index each control plane keeps stays one small object. */
export const MAX_RETAIN = 200;

// OnCalendar= grammar characters (weekdays, dates, times, ranges, repetitions, time zones): no quotes, no newline.
const ON_CALENDAR = /^[A-Za-z0-9*,./:~_+-]+( [A-Za-z0-9*,./:~_+-]+)*$/;

export function etcdWithDefaults(etcd: Partial<EtcdSpec>): EtcdSpec {
  const backups = etcd.backups as Partial<EtcdBackupsSpec> | undefined;
  return backups === undefined ? {} : { backups: { ...DEFAULT_ETCD_BACKUPS, ...backups } };
}

/** New clusters back up etcd unless their document says otherwise. */
export function withDefaultEtcdBackups<T extends { spec: ClusterSpecBody }>(cluster: T): T {
  if (cluster.spec.etcd?.backups) return cluster;
  return { ...cluster, spec: { ...cluster.spec, etcd: { ...cluster.spec.etcd, backups: { ...DEFAULT_ETCD_BACKUPS } } } };
}

/** The timer's OnCalendar= value, or null when scheduled backups are off or not configured. */
export function backupSchedule(spec: ClusterSpecBody): string | null {
  const schedule = spec.etcd?.backups?.schedule;
  return schedule === undefined || schedule === BACKUPS_OFF ? null : schedule;
}

export function etcdBackupsIssues(spec: ClusterSpecBody): FieldIssue[] {
  const b = spec.etcd?.backups;
  if (!b) return [];
  const issues: FieldIssue[] = [];
  if (b.schedule !== BACKUPS_OFF && (b.schedule.length > 100 || !ON_CALENDAR.test(b.schedule))) {
    issues.push({
      path: 'spec.etcd.backups.schedule',
      message: `"${b.schedule}" is not a schedule: use hourly, daily, off, or a systemd OnCalendar expression such as "*-*-* 00/6:00:00"`,
    });
  }
  if (!Number.isInteger(b.retain) || b.retain < 1 || b.retain > MAX_RETAIN) {
    issues.push({ path: 'spec.etcd.backups.retain', message: `must be a whole number from 1 to ${MAX_RETAIN}, got ${b.retain}` });
  }
  return issues;
}
