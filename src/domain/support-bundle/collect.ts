// From what a collector read in a cell to the files of its bundle: every text redacted, the
// findings worked out from the redacted evidence, what matters most first (so a cap cuts logs,
// not the cluster's state), and the manifest saying what was redacted, left out or unreadable.
import { analyze, type CertificateEvidence, type EventEvidence, type Finding, type NodeEvidence, type PodEvidence, type UpdateEvidence } from './analyze';
import type { BundleManifest } from './bundle';
import { redactor } from './redact';
import { COLLECTION_SPEC_VERSION, fitToCap, type BundleFile, type CollectionSpec } from './spec';

/** What a collector read in the cell (its port's answer). Secret values are for redaction only. */
export interface CellEvidence {
  cluster: { version?: string; platform?: string; namespace?: string };
  nodes: NodeEvidence[];
  /** Deployments, StatefulSets, DaemonSets of the installation, as the API gave them (no Secret has data in them) */
  workloads: unknown[];
  pods: PodEvidence[];
  events: EventEvidence[];
  logs: { pod: string; container: string; text: string }[];
  certificates: CertificateEvidence[];
  /** cellshift's own records in the cell: the maintenance switch, the flags, the apply records (without their objects' data) */
  cellshift: Record<string, unknown>;
  /** the values of the installation's Secrets, read in the cell to find them in text: never written */
  secretValues: string[];
  /** what a collector could not read, and why (a permission the cell's owner did not grant, an API missing) */
  errors: { collector: string; error: string }[];
}

export interface BuiltBundle {
  files: BundleFile[];
  findings: Finding[];
  manifest: BundleManifest;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The bundle's files, findings and manifest, redacted and under the spec's cap. */
export function buildBundle(evidence: CellEvidence, spec: CollectionSpec, about: { cellId: string; collectedAt: string; collectedBy: string; lastUpdate?: UpdateEvidence }): BuiltBundle {
  const { redact, redactValue: clean, counts } = redactor(spec.redactions, evidence.secretValues);
  // Redacted first: the findings see only what the bundle holds.
  const pods = clean(evidence.pods);
  const events = clean(evidence.events);
  const nodes = clean(evidence.nodes);
  const certificates = clean(evidence.certificates);
  const lastUpdate = about.lastUpdate ? clean(about.lastUpdate) : undefined;
  const findings = analyze({ pods, events, nodes, certificates, lastUpdate, collectedAt: about.collectedAt });
  const candidates: BundleFile[] = [
    { path: 'cluster/version.json', text: json(clean(evidence.cluster)) },
    { path: 'cluster/nodes.json', text: json(nodes) },
    ...(lastUpdate ? [{ path: 'cellshift/last-update.json', text: json(lastUpdate) }] : []),
    { path: 'cellshift/records.json', text: json(clean(evidence.cellshift)) },
    { path: 'installation/pods.json', text: json(pods) },
    { path: 'installation/events.json', text: json(events) },
    { path: 'installation/workloads.json', text: json(clean(evidence.workloads)) },
    { path: 'installation/certificates.json', text: json(certificates) },
    ...evidence.logs.map((log) => ({ path: `logs/${log.pod}/${log.container}.log`, text: redact(log.text) })),
  ];
  // The findings and the manifest are written whatever the cap: keep room for them.
  const reserve = 64 * 1024;
  const { kept, leftOut } = fitToCap(candidates, Math.max(0, spec.maxBytes - reserve));
  if (leftOut.length > 0) {
    findings.push({ severity: 'info', analyzer: 'bundle', title: `${leftOut.length} file${leftOut.length === 1 ? '' : 's'} left out: the bundle's cap is ${spec.maxBytes} bytes`, detail: leftOut.join(', ') });
  }
  for (const { collector, error } of evidence.errors) {
    findings.push({ severity: 'info', analyzer: 'bundle', title: `The ${collector} collector could not read the cell`, detail: redact(error) });
  }
  const manifest: BundleManifest = {
    specVersion: COLLECTION_SPEC_VERSION,
    limits: { logLines: spec.logLines, maxBytes: spec.maxBytes },
    cellId: about.cellId,
    collectedAt: about.collectedAt,
    collectedBy: about.collectedBy,
    files: kept.map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.text).length })),
    leftOut,
    redactions: counts,
    errors: evidence.errors.map((e) => ({ collector: e.collector, error: redact(e.error) })),
  };
  return { files: [{ path: 'findings.json', text: json(findings) }, { path: 'manifest.json', text: json(manifest) }, ...kept], findings, manifest };
}
