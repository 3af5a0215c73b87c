// A support bundle's side effects. Collecting runs where the cell's cluster is reached (its agent
// inside the cell, or the control plane's worker for a direct cell): the evidence is read, redacted,
// analysed, packed and uploaded there, so nothing unredacted leaves the process that read it. The
// records are the control plane's: the customer's policy, the request, its status, its end.
import { gunzipSync, gzipSync } from 'node:zlib';
import { readTar, writeTar } from '../../adapters/bundles/tar';
import type { SupportBundleBlobs } from '../../adapters/bundles/support-bundle-blobs';
import type { SupportBundles } from '../../adapters/db/support-bundles';
import type { UpdateReadModel } from '../../adapters/db/update-read-model';
import { createHash } from 'node:crypto';
import { consentRefusal } from '../../crypto/support-bundle-consent';
import type { VendorKeys } from '../../crypto/release-signature';
import { ErrorType, PortError } from '../../domain/errors';
import type { ClusterTarget } from '../../domain/ports';
import type { Finding, UpdateEvidence } from '../../domain/support-bundle/analyze';
import type { BundleConsent, BundleManifest, BundleStatus, BundleTrigger, SupportBundlePolicy, SupportBundleRecord } from '../../domain/support-bundle/bundle';
import { buildBundle } from '../../domain/support-bundle/collect';
import type { CollectionSpec } from '../../domain/support-bundle/spec';
import type { ClusterResolver } from '../update/activities';
import { runStep } from '../update/step-context';

/** Where a collected bundle goes: the bundle store (the worker), or the agent endpoint (an agent). */
export interface BundleUpload {
  upload(bundle: { id: string; cellId: string; digest: string; data: Uint8Array }): Promise<void>;
}

/** What a collection reports: its size, digest, findings and manifest (all redacted), never its content. */
export interface CollectedBundle {
  bytes: number;
  digest: string;
  findings: Finding[];
  manifest: BundleManifest;
}

export interface CollectRequest {
  bundleId: string;
  spec: CollectionSpec;
  lastUpdate?: UpdateEvidence;
  /** what the customer agreed to, with the customer's signatures: checked where the cell pins its customer's keys */
  consent?: BundleConsent;
}

/** Packs a bundle's files: a gzipped tar, the same bytes for the same files. */
export async function packBundle(files: { path: string; text: string }[]): Promise<Buffer> {
  return gzipSync(await writeTar(files.map((f) => ({ name: f.path, data: Buffer.from(f.text) }))));
}

/** A packed bundle's files, by path, as text. */
export async function unpackBundle(archive: Uint8Array): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await readTar(
    (async function* () {
      yield gunzipSync(archive);
    })(),
    async (name, _size, chunks) => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      files.set(name, Buffer.concat(parts).toString('utf8'));
    },
  );
  return files;
}

export function createSupportBundleCollection(resolve: ClusterResolver, upload: BundleUpload, collectedBy: string, customerKeys?: VendorKeys) {
  return {
    /**
     * Reads the cell's evidence, builds the bundle (redacted, analysed, capped), and uploads it. A
     * cell that pins its customer's keys first checks the customer signed what allows it.
     */
    async collectSupportBundle(target: ClusterTarget, request: CollectRequest): Promise<CollectedBundle> {
      return runStep(async (ctx) => {
        if (customerKeys && customerKeys.size > 0) {
          const refusal = consentRefusal(target.cellId, request.consent, request.spec, customerKeys);
          if (refusal) throw new PortError(ErrorType.ApprovalUnverified, `the cell collects no support bundle its customer did not sign for: ${refusal}`, true);
        }
        const port = await resolve(target.cluster);
        const evidence = await port.collectEvidence(target, { logLines: request.spec.logLines }, ctx);
        const built = buildBundle(evidence, request.spec, { cellId: target.cellId, collectedAt: new Date().toISOString(), collectedBy, lastUpdate: request.lastUpdate });
        const data = await packBundle(built.files);
        const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
        await upload.upload({ id: request.bundleId, cellId: target.cellId, digest, data });
        return { bytes: data.byteLength, digest, findings: built.findings, manifest: built.manifest };
      });
    },
  };
}

/** The worker's upload: straight into the bundle store. */
export function storeUpload(blobs: SupportBundleBlobs): BundleUpload {
  return { upload: ({ id, data }) => blobs.put(id, data) };
}

export function createSupportBundleRecords(records: SupportBundles, blobs: SupportBundleBlobs, updates: UpdateReadModel) {
  return {
    async supportBundlePolicy(cellId: string): Promise<SupportBundlePolicy> {
      const { setBy: _b, setAt: _a, ...policy } = await records.policy(cellId);
      return policy;
    },
    /** The bundle its workflow asks for, numbered; asked again (a retry, a crash), the one already there. */
    async openSupportBundle(cellId: string, request: { workflowId: string; trigger: BundleTrigger; requestedBy: string; reason?: string; updateId?: string }): Promise<SupportBundleRecord> {
      return (await records.forWorkflow(request.workflowId)) ?? records.request(cellId, request);
    },
    async setSupportBundleStatus(id: string, status: BundleStatus, error?: string): Promise<void> {
      await records.setStatus(id, status, error);
    },
    async supportBundleCollected(id: string, collected: CollectedBundle, expiresAt: string): Promise<void> {
      await records.collected(id, { ...collected, expiresAt });
    },
    /** Its bytes go; its record stays, `deleted`. */
    async deleteSupportBundle(id: string): Promise<void> {
      await blobs.delete(id);
      await records.setStatus(id, 'deleted');
    },
    /** The update a bundle is collected for, as its record says (step names, statuses and errors). */
    async updateEvidence(updateId: string): Promise<UpdateEvidence | null> {
      const row = await updates.get(updateId);
      if (!row) return null;
      const { view } = row;
      return { id: view.id, toVersion: view.toVersion, status: view.status, ...(view.error ? { error: view.error } : {}), steps: view.steps.map((s) => ({ name: s.name, status: s.status, ...(s.error ? { error: s.error } : {}) })) };
    },
  };
}

export type SupportBundleCollection = ReturnType<typeof createSupportBundleCollection>;
export type SupportBundleRecords = ReturnType<typeof createSupportBundleRecords>;
