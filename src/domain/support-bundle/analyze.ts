// A support bundle's findings: what a person reads first, worked out from the evidence the
// collectors gathered (pods, events, nodes, certificates' dates, the last update's record). Pure:
// the same code reads a bundle collected by an agent and one a customer sent by hand.

export type FindingSeverity = 'critical' | 'warning' | 'info';

export interface Finding {
  severity: FindingSeverity;
  /** the analyzer that made it */
  analyzer: string;
  title: string;
  detail: string;
  /** what it is about: `Pod/ns/name`, `Node/name`, `Update/<id>`… */
  object?: string;
}

/** The parts of Kubernetes objects the analyzers read (as the API returns them). */
export interface PodEvidence {
  metadata: { name: string; namespace?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusEvidence[];
    initContainerStatuses?: ContainerStatusEvidence[];
  };
}

export interface ContainerStatusEvidence {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } };
}

export interface EventEvidence {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  lastTimestamp?: string;
}

export interface NodeEvidence {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** A certificate found in the cell (its dates only: the collector reads no key). */
export interface CertificateEvidence {
  /** where: `Secret/ns/name` */
  object: string;
  subject: string;
  notAfter: string;
}

/** The last update of the cell, as cellshift recorded it. */
export interface UpdateEvidence {
  id: string;
  toVersion: string;
  status: string;
  error?: string;
  steps: { name: string; status: string; error?: string }[];
}

export interface Evidence {
  pods?: PodEvidence[];
  events?: EventEvidence[];
  nodes?: NodeEvidence[];
  certificates?: CertificateEvidence[];
  lastUpdate?: UpdateEvidence;
  /** when the evidence was collected (certificates are judged against it) */
  collectedAt: string;
}

/** A certificate that ends within this many days is a finding. */
export const CERTIFICATE_WARNING_DAYS = 14;
const RESTARTS_WORTH_TELLING = 3;
const PULL_FAILURES = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

const SEVERITY_ORDER: Record<FindingSeverity, number> = { critical: 0, warning: 1, info: 2 };

/** Every analyzer's findings, the most severe first. */
export function analyze(evidence: Evidence): Finding[] {
  const findings = [
    ...lastUpdate(evidence.lastUpdate),
    ...containers(evidence.pods ?? []),
    ...unschedulable(evidence.pods ?? [], evidence.events ?? []),
    ...probes(evidence.events ?? []),
    ...nodes(evidence.nodes ?? []),
    ...certificates(evidence.certificates ?? [], Date.parse(evidence.collectedAt)),
  ];
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

function podName(pod: PodEvidence): string {
  return `Pod/${pod.metadata.namespace ?? ''}/${pod.metadata.name}`.replace('//', '/');
}

/** The step the last update failed at, and why. */
function lastUpdate(update: UpdateEvidence | undefined): Finding[] {
  if (!update || update.status === 'succeeded') return [];
  const failed = update.steps.find((s) => s.status === 'failed');
  const where = failed ? `at step ${failed.name}` : 'before its steps';
  return [
    {
      severity: update.status === 'failed' || update.status === 'rolled-back' ? 'critical' : 'warning',
      analyzer: 'last-update',
      title: `Update ${update.id} to ${update.toVersion} ${update.status} ${where}`,
      detail: failed?.error ?? update.error ?? 'no error recorded',
      object: `Update/${update.id}`,
    },
  ];
}

/** Crash loops, OOM kills, image pull failures, and containers that keep restarting. */
function containers(pods: PodEvidence[]): Finding[] {
  const findings: Finding[] = [];
  for (const pod of pods) {
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const waiting = c.state?.waiting?.reason;
      const last = c.lastState?.terminated ?? c.state?.terminated;
      const where = `container ${c.name} of ${podName(pod)}`;
      if (waiting === 'CrashLoopBackOff') {
        findings.push({
          severity: 'critical',
          analyzer: 'crash-loop',
          title: `${podName(pod)} is crash-looping`,
          detail: `${where} restarted ${c.restartCount ?? 0} times${last?.reason ? `; last ended ${last.reason}${last.exitCode !== undefined ? ` (exit ${last.exitCode})` : ''}` : ''}${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ''}`,
          object: podName(pod),
        });
      } else if (waiting && PULL_FAILURES.includes(waiting)) {
        findings.push({ severity: 'critical', analyzer: 'image-pull', title: `${podName(pod)} cannot pull its image`, detail: `${where}: ${waiting} for ${c.image ?? 'its image'}${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ''}`, object: podName(pod) });
      }
      if (last?.reason === 'OOMKilled') {
        findings.push({ severity: 'critical', analyzer: 'oom-killed', title: `${podName(pod)} was killed for memory`, detail: `${where} ended OOMKilled: its memory limit is too low for it`, object: podName(pod) });
      } else if (waiting !== 'CrashLoopBackOff' && (c.restartCount ?? 0) >= RESTARTS_WORTH_TELLING) {
        findings.push({ severity: 'warning', analyzer: 'restarts', title: `${podName(pod)} restarts`, detail: `${where} restarted ${c.restartCount} times`, object: podName(pod) });
      }
    }
  }
  return findings;
}

/** Pods that cannot be placed, with what they lack (from the scheduler's message). */
function unschedulable(pods: PodEvidence[], events: EventEvidence[]): Finding[] {
  const findings: Finding[] = [];
  for (const pod of pods) {
    const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (!condition) continue;
    const event = events.find((e) => e.reason === 'FailedScheduling' && e.involvedObject?.name === pod.metadata.name);
    const message = event?.message ?? condition.message ?? condition.reason ?? 'not scheduled';
    const lacking = [...message.matchAll(/Insufficient ([a-z0-9./-]*[a-z0-9])/gi)].map((m) => m[1]);
    findings.push({
      severity: 'critical',
      analyzer: 'unschedulable',
      title: `${podName(pod)} cannot be scheduled${lacking.length > 0 ? `: not enough ${[...new Set(lacking)].join(', ')}` : ''}`,
      detail: message,
      object: podName(pod),
    });
  }
  return findings;
}

/** Probes that fail, from the kubelet's events (one finding per object and probe). */
function probes(events: EventEvidence[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const event of events) {
    if (event.reason !== 'Unhealthy' || !event.message) continue;
    const probe = /^(Liveness|Readiness|Startup) probe failed/i.exec(event.message)?.[1] ?? 'A';
    const object = `${event.involvedObject?.kind ?? 'Pod'}/${event.involvedObject?.namespace ?? ''}/${event.involvedObject?.name ?? '?'}`.replace('//', '/');
    const key = `${object} ${probe}`;
    if (seen.has(key)) continue;
    seen.set(key, { severity: probe.toLowerCase() === 'readiness' ? 'warning' : 'critical', analyzer: 'probes', title: `${probe} probe of ${object} fails`, detail: `${event.message}${event.count ? ` (${event.count} times)` : ''}`, object });
  }
  return [...seen.values()];
}

/** Nodes that are not ready, or under pressure. */
function nodes(list: NodeEvidence[]): Finding[] {
  const findings: Finding[] = [];
  for (const node of list) {
    for (const c of node.status?.conditions ?? []) {
      const object = `Node/${node.metadata.name}`;
      if (c.type === 'Ready' && c.status !== 'True') {
        findings.push({ severity: 'critical', analyzer: 'nodes', title: `${object} is not ready`, detail: `Ready is ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`, object });
      } else if (c.type !== 'Ready' && c.type.endsWith('Pressure') && c.status === 'True') {
        findings.push({ severity: 'warning', analyzer: 'nodes', title: `${object} has ${c.type}`, detail: c.message ?? c.reason ?? c.type, object });
      }
    }
  }
  return findings;
}

/** Certificates that have ended, or end soon. */
function certificates(list: CertificateEvidence[], now: number): Finding[] {
  const findings: Finding[] = [];
  for (const cert of list) {
    const ends = Date.parse(cert.notAfter);
    const days = Math.floor((ends - now) / 86_400_000);
    if (ends <= now) findings.push({ severity: 'critical', analyzer: 'certificates', title: `The certificate in ${cert.object} has expired`, detail: `${cert.subject} ended ${cert.notAfter}`, object: cert.object });
    else if (days < CERTIFICATE_WARNING_DAYS) findings.push({ severity: 'warning', analyzer: 'certificates', title: `The certificate in ${cert.object} ends in ${days} day${days === 1 ? '' : 's'}`, detail: `${cert.subject} ends ${cert.notAfter}`, object: cert.object });
  }
  return findings;
}
