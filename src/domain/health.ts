import type { AnalysisOptions } from './strategy-options';

/** One health check of a cell, as its cluster reports it. */
export interface HealthReport {
  /** share of failed requests (0..1) */
  errorRate: number;
  readyReplicas: number;
  desiredReplicas: number;
  /** pods or components that are not healthy, by name and reason */
  problems: string[];
}

/** Does one check pass the thresholds? The reason names what failed. */
export function judgeHealth(report: HealthReport, thresholds: Pick<AnalysisOptions, 'maxErrorRate' | 'minReadyRatio'>): { ok: boolean; reason: string } {
  const ready = report.desiredReplicas === 0 ? 1 : report.readyReplicas / report.desiredReplicas;
  const failures: string[] = [];
  if (report.errorRate > thresholds.maxErrorRate) failures.push(`error rate ${pct(report.errorRate)} above ${pct(thresholds.maxErrorRate)}`);
  if (ready < thresholds.minReadyRatio) failures.push(`${report.readyReplicas}/${report.desiredReplicas} replicas ready, below ${pct(thresholds.minReadyRatio)}`);
  if (failures.length === 0) return { ok: true, reason: `error rate ${pct(report.errorRate)}, ${report.readyReplicas}/${report.desiredReplicas} ready` };
  return { ok: false, reason: [...failures, ...report.problems].join('; ') };
}

function pct(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}
