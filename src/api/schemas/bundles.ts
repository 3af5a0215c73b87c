import { Type } from 'typebox';

export const BundleResult = Type.Object({
  version: Type.String(),
  /** `bundle`, or `registry` when the same manifest was already published from the registry */
  source: Type.String(),
  files: Type.Integer({ description: 'files in the archive, manifest and checksums included' }),
  bytes: Type.Integer({ description: 'compressed bytes received' }),
});
