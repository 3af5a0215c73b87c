import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BundleError } from '../../adapters/bundles/format';
import { splitRelease } from '../../crypto/release-digest';
import type { ReleaseSignature } from '../../crypto/release-signature';
import type { Release } from '../../domain/release';
import { HttpProblem } from '../http/problem';
import { BundleResult } from '../schemas/bundles';
import { problems } from '../schemas/common';

const BUNDLE_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'];
const TITLES: Record<number, string> = { 400: 'Invalid bundle', 409: 'Release is immutable', 413: 'Bundle too large' };

/** `POST /v1/bundles`: a release for air-gapped cells, uploaded as one tar.gz and streamed to disk. */
const bundles: FastifyPluginAsyncTypebox = async (app) => {
  const limits = app.bundleLimits;
  // This plugin's scope only: the raw stream for the bundle, and no JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BUNDLE_TYPES, (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/bundles',
    {
      config: { role: 'admin' },
      bodyLimit: limits.compressedBytes, // documentation only: a pass-through parser is not counted by Fastify; ingest counts
      // A large bundle takes as long as the link needs; its size, not its time, is bounded (Fastify has no "none": the longest timer).
      handlerTimeout: 2 ** 31 - 1,
      schema: {
        summary: 'Upload a release bundle (tar.gz of manifest.json, checksums.sha256, images/<component>.tar) and publish its release',
        response: { 201: BundleResult, 200: BundleResult, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!(body instanceof Readable)) {
        throw new HttpProblem(415, 'Unsupported media type', `send the bundle as the request body, as ${BUNDLE_TYPES.join(', ')}`);
      }
      try {
        if (Number(request.headers['content-length']) > limits.compressedBytes) {
          throw new BundleError(`the bundle is larger than the limit of ${limits.compressedBytes} bytes`, 413);
        }
        // Not destroyed on failure: a destroyed request resets the socket before the client reads our answer.
        // The vendor's signature the bundle carries is checked as at publish, before anything is placed.
        const admit = (release: Release, signature?: ReleaseSignature) => {
          const { vendorKeys, unsignedRings } = app.releasePolicy;
          const refusal = signature && vendorKeys.size > 0 ? vendorKeys.refusal(splitRelease(release).digest, signature) : undefined;
          if (refusal) throw new BundleError(`the bundle's release is refused: ${refusal}`, 400, [{ field: 'manifest.signature', reason: refusal }]);
          if (!signature && unsignedRings.length === 0) throw new BundleError('this install takes signed releases only: build the bundle with --key', 400, [{ field: 'manifest.signature', reason: 'is required' }]);
        };
        const result = await app.bundles.ingest(body.iterator({ destroyOnReturn: false }), limits, admit);
        const published = await app.catalog.get(result.release.version);
        return reply
          .status(result.outcome === 'created' ? 201 : 200)
          .send({ version: result.release.version, source: published?.source ?? 'bundle', files: result.files, bytes: result.bytes });
      } catch (err) {
        body.resume(); // discard the rest of the upload so the answer is read, not cut off
        if (err instanceof BundleError) throw new HttpProblem(err.status, TITLES[err.status] ?? 'Invalid bundle', err.message, err.errors ? { errors: err.errors } : {});
        throw err;
      }
    },
  );
};

export default bundles;
