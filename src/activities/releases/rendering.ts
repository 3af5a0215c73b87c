// A release rendered for one cell, where its content is read (the worker for a direct cell, the
// agent in the cell): the values of the revision the update names, read from the control plane
// (through the agent endpoint, for the cell the agent's certificate names) and the cell's stack
// outputs, read with the credentials of whoever runs the step. Values never travel in a workflow.
import { canonicalJson, sha256Digest } from '../../crypto/release-digest';
import { changeNeedsMaintenance, effectiveConfig, renderManifests, secretReferences, type ConfigValues } from '../../domain/config';
import { ErrorType, PortError } from '../../domain/errors';
import type { ClusterTarget, RenderedRelease, StackRef, StepContext } from '../../domain/ports';
import type { ConfigRef } from '../../domain/update';
import type { StackResolver } from '../infra/activities';
import type { ResolvedRelease } from './content';

/** Where a cell's configuration values are read: the database on the control plane, the agent endpoint in a cell. */
export interface ConfigSource {
  /** the cell's values at `revision`; undefined when there is no such revision */
  at(cellId: string, revision: number): Promise<ConfigValues | undefined>;
}

/** A release rendered for a cell, and whether moving from the cell's previous configuration asks for maintenance mode. */
export interface Rendered {
  release: RenderedRelease & ResolvedRelease;
  maintenance: boolean;
}

export function releaseRenderer(configs?: ConfigSource, stacks?: StackResolver) {
  async function valuesAt(cellId: string, revision: number): Promise<ConfigValues> {
    if (revision === 0) return {};
    if (!configs) throw new PortError(ErrorType.ConfigNotFound, `the configuration of cell ${cellId} cannot be read here`, true);
    const values = await configs.at(cellId, revision);
    if (!values) throw new PortError(ErrorType.ConfigNotFound, `cell ${cellId} has no configuration revision ${revision}`, true);
    return values;
  }

  async function outputsOf(target: ClusterTarget, stack: StackRef | undefined, ctx: StepContext): Promise<Record<string, string> | undefined> {
    if (!stack) return undefined;
    if (!stacks) throw new PortError(ErrorType.CredentialsNotFound, `the stack of cell ${target.cellId} cannot be read here`, true);
    return (await (await stacks(stack)).describe({ cellId: target.cellId, stack }, ctx)).outputs;
  }

  /**
   * The release with its manifests rendered with the cell's configuration at `config.revision`
   * (none: revision 0, defaults only). A required item without a value is a PreflightFailed naming
   * every one; what the manifests render to is named by its digest.
   */
  return async function render(target: ClusterTarget, release: ResolvedRelease, config: ConfigRef | undefined, ctx: StepContext): Promise<Rendered> {
    const items = release.config ?? [];
    const revision = config?.revision ?? 0;
    const outputs = items.some((i) => i.setBy === 'stack') ? await outputsOf(target, config?.stack, ctx) : undefined;
    const effective = effectiveConfig(items, await valuesAt(target.cellId, revision), outputs);
    if (effective.missing.length > 0) {
      const named = effective.missing.map((m) => `${m.item} (${m.reason})`).join(', ');
      throw new PortError(ErrorType.PreflightFailed, `${target.cellId}: release ${release.version} needs configuration the cell lacks: ${named}`, true);
    }
    const manifests = release.manifests ? renderManifests(release.manifests, effective.values) : undefined;
    let maintenance = false;
    if (config?.previous !== undefined && config.previous !== revision) {
      const before = effectiveConfig(items, await valuesAt(target.cellId, config.previous).catch(() => ({})), outputs).values;
      maintenance = changeNeedsMaintenance(items, before, effective.values);
    }
    const rendering = { revision, digest: sha256Digest(canonicalJson(manifests ?? [])), secrets: secretReferences(items, effective.values) };
    return { release: { ...release, ...(manifests ? { manifests } : {}), rendered: rendering }, maintenance };
  };
}
