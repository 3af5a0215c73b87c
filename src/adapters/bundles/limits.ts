/** What one bundle upload may be, each bound checked while it streams in, before anything is kept. */
export interface BundleLimits {
  /** bytes received: the gzip stream as uploaded */
  compressedBytes: number;
  /** bytes gunzip gives (tar headers included): what unpacking writes to the staging directory */
  unpackedBytes: number;
  /** tar entries, files and directories */
  entries: number;
}

/**
 * Images make bundles large; image archives hold compressed layers already, so a real bundle
 * unpacks to about its own size: twice the compressed limit leaves room and stops a gzip bomb
 * (a few MiB that unpack to terabytes). A release has tens of components, not thousands of files.
 */
export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  compressedBytes: 10 * 1024 ** 3,
  unpackedBytes: 20 * 1024 ** 3,
  entries: 10_000,
};
