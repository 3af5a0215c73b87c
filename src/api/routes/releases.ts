import { tellContractChanged } from '../../workflows/update/client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorType, PortError } from '../../domain/errors';
import { releaseProblems } from '../../domain/release-checks';
import { compareVersions } from '../../domain/version';
import { vetoRelease } from '../../workflows/veto/client';
import { badRequest, HttpProblem, notFound } from '../http/problem';
import { splitRelease } from '../../crypto/release-digest';
import { problems } from '../schemas/common';
import { SignedRelease } from '../../domain/schemas/release';
import { CatalogRelease, PromoteBody, ReleaseListQuery, ReleasePage, ReleaseParams, ReleaseQuery, VetoBody } from '../schemas/releases';

/** The largest release POST /v1/releases takes (documented in docs/releases.md). */
export const RELEASE_BODY_LIMIT = 64 * 1024 * 1024;

/** The release catalog: publish (immutable), read, promote ring by ring, veto. */
const releases: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog } = app;
  /** The cells that run a version, from the read model. */
  const cellsOn = async (version: string) => (await app.cells.list({ version }, 1000)).cells.map((c) => c.id);

  app.get(
    '/v1/releases',
    {
      config: { role: 'viewer' },
      schema: { summary: 'The release catalog, oldest first, a page at a time, without manifests', querystring: ReleaseListQuery, response: { 200: ReleasePage, ...problems(400, 401) } },
    },
    async (request) => {
      const pageSize = request.query.pageSize ?? 100;
      const after = request.query.pageToken ? app.pageTokens.open<{ after: string }>(request.query.pageToken, 'query.pageToken').after : undefined;
      const rest = (await catalog.list()).filter((r) => after === undefined || compareVersions(r.version, after) > 0);
      const releases = rest.slice(0, pageSize).map(({ content, ...summary }) => ({ ...summary, manifestCount: content?.objects.length ?? 0 }));
      return { releases, ...(rest.length > pageSize ? { nextPageToken: app.pageTokens.seal({ after: releases.at(-1)!.version }) } : {}) };
    },
  );

  app.post(
    '/v1/releases',
    {
      config: { role: 'admin' },
      // Vendors' manifests run to megabytes (CustomResourceDefinitions alone): up to 64 MiB.
      bodyLimit: RELEASE_BODY_LIMIT,
      schema: {
        summary: 'Publish a release (immutable once published; visible to no ring until promoted); up to 64 MiB, its manifests stored once by their digest',
        body: SignedRelease,
        response: { 201: CatalogRelease, 200: CatalogRelease, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const refused = releaseProblems(request.body as Parameters<typeof releaseProblems>[0], 'body');
      if (refused.length > 0) throw badRequest(refused);
      const { signature, ...release } = request.body;
      // A signature is checked here against the vendor's keys; cells check it again against the keys they pin.
      const { vendorKeys, unsignedRings } = app.releasePolicy;
      if (signature && vendorKeys.size > 0) {
        const refusal = vendorKeys.refusal(splitRelease(release).digest, signature);
        if (refusal) throw badRequest([{ field: 'body.signature', reason: `the release is refused: ${refusal}` }]);
      }
      if (!signature && unsignedRings.length === 0) throw badRequest([{ field: 'body.signature', reason: 'this install takes signed releases only (cellshift releases sign; CELLSHIFT_UNSIGNED_RINGS names no ring for unsigned ones)' }]);
      try {
        const outcome = await catalog.publish(release, { signature });
        return reply.status(outcome === 'created' ? 201 : 200).send((await catalog.get(release.version))!);
      } catch (err) {
        if (err instanceof PortError && err.type === ErrorType.ReleaseImmutable) throw new HttpProblem(409, 'Release is immutable', err.message);
        throw err;
      }
    },
  );

  app.get(
    '/v1/releases/:version',
    { config: { role: 'viewer' }, schema: { summary: 'One release: its document, digest and objects; its manifests with ?manifests=true (operators)', params: ReleaseParams, querystring: ReleaseQuery, response: { 200: CatalogRelease, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      const release = await catalog.get(request.params.version);
      if (!release) throw notFound(`release ${request.params.version}`);
      let manifests: Record<string, unknown>[] | undefined;
      if (request.query.manifests && release.content) {
        if (!['operator', 'admin'].includes(request.role)) throw new HttpProblem(403, 'Forbidden', `a release's manifests are for operators; the token of ${request.subject} has ${request.role}`);
        manifests = JSON.parse((await catalog.content(release.content.digest)) ?? '[]') as Record<string, unknown>[];
      }
      return { ...release, ...(manifests ? { manifests } : {}), ...(release.veto ? { cellsOnIt: await cellsOn(release.version) } : {}) };
    },
  );

  app.post(
    '/v1/releases/:version/veto',
    {
      config: { role: 'admin' },
      schema: {
        summary:
          'Stop a bad release everywhere: never offered, installed, rolled out or accepted in a bundle again; its rollout starts no more cells; updates to it waiting for a window or an approval are cancelled',
        params: ReleaseParams,
        body: VetoBody,
        response: { 200: CatalogRelease, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { version } = request.params;
      // Called again, it finds the veto recorded and its sweep started: a call lost on the way can be repeated.
      const veto = await vetoRelease(app.temporal, app.taskQueue, catalog, version, { by: request.subject, reason: request.body.reason, at: new Date().toISOString() });
      if (!veto) throw notFound(`release ${version}`);
      request.log.warn({ version, veto }, 'release vetoed');
      return { ...(await catalog.get(version))!, cellsOnIt: await cellsOn(version) };
    },
  );

  app.post(
    '/v1/releases/:version/emergency',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Mark a release an emergency: its updates override cells' windows, postponements and blackouts (but those of scope all), and are told at once; recorded with who and why",
        params: ReleaseParams,
        body: VetoBody,
        response: { 200: CatalogRelease, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { version } = request.params;
      const mark = { by: request.subject, reason: request.body.reason, at: new Date().toISOString() };
      const emergency = await catalog.markEmergency(version, mark);
      if (!emergency) throw notFound(`release ${version}`);
      // Told once: the first mark stands, and a call repeated finds it.
      if (emergency.at === mark.at) await app.contracts.emergencyMarked(version, emergency);
      // Updates to it already waiting go at once (they read the mark now, not when their timer fires).
      await tellContractChanged(app.temporal, await app.updates.waiting({ version }));
      request.log.warn({ version, emergency }, 'release marked an emergency');
      return (await catalog.get(version))!;
    },
  );

  app.post(
    '/v1/releases/:version/promote',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Make a release visible to a ring: staging, then saas, then dedicated',
        params: ReleaseParams,
        body: PromoteBody,
        response: { 200: CatalogRelease, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const found = await catalog.get(request.params.version);
      if (!found) throw notFound(`release ${request.params.version}`);
      const { ring } = request.body;
      if (!found.signature && !app.releasePolicy.unsignedRings.includes(ring)) {
        throw new HttpProblem(409, 'Release unsigned', `release ${found.version} is not signed: ring ${ring} takes signed releases only (unsigned ones: ${app.releasePolicy.unsignedRings.join(', ') || 'none'})`);
      }
      const tagged = app.releasePolicy.digestPinnedRings.includes(ring) ? Object.entries(found.components).filter(([, image]) => !/@sha256:[0-9a-f]{64}$/.test(image)) : [];
      if (tagged.length > 0) {
        throw new HttpProblem(409, 'Images not pinned', `ring ${ring} takes releases whose images are pinned by digest: ${tagged.map(([component, image]) => `${component} (${image})`).join(', ')}`);
      }
      try {
        await catalog.promote(request.params.version, ring);
      } catch (err) {
        if (err instanceof PortError && err.type === ErrorType.ReleaseNotFound) throw notFound(`release ${request.params.version}`);
        if (err instanceof PortError && err.type === ErrorType.PromotionOrder) throw new HttpProblem(409, 'Promotion out of order', err.message);
        throw err;
      }
      return catalog.get(request.params.version);
    },
  );
};

export default releases;
