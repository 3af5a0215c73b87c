// What names and references the catalog accepts, as patterns the API's schemas and the bundle
// format share. Each follows its source: Kubernetes' label values, the OCI distribution spec's
// references (as `docker/distribution/reference` parses them), and the versions docs/api.md names.

/** A Kubernetes label value, non-empty: a component's name travels as one (`app.kubernetes.io/name`). */
export const LABEL_VALUE = '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';

/**
 * An OCI image reference, `[registry[:port]/]path[:tag][@sha256:<64 hex>]`: a name, a tag and/or
 * a digest. (A first path part is a registry when it has a dot or a port, or is `localhost`.)
 */
export const IMAGE_REFERENCE = `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`;

/** The longest name (registry and path) a reference may have. */
export const IMAGE_NAME_MAX = 255;

/**
 * A release version: semantic (`1.2.3`, `1.2.3-rc.1`) or calendar (`2026.12.1`, `2026.01`), one
 * to four numeric parts and an optional pre-release; no build metadata.
 */
export const VERSION = '^\\d+(\\.\\d+){0,3}(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

/** Why `ref` is not an image reference cellshift can pull, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (!new RegExp(IMAGE_REFERENCE).test(ref)) return 'not an image reference: [registry/]name[:tag][@sha256:<64 hex digits>], lowercase name';
  const name = ref.split('@')[0].replace(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, '');
  if (name.length > IMAGE_NAME_MAX) return `the image name is longer than ${IMAGE_NAME_MAX} characters`;
  return undefined;
}

/** What each pattern means, for a reason a person reads instead of the expression. */
export const PATTERN_REASONS: Record<string, string> = {
  [IMAGE_REFERENCE]: 'must be an image reference: [registry[:port]/]name[:tag][@sha256:<64 hex digits>], the name in lowercase',
  [LABEL_VALUE]: 'must be a Kubernetes label value: up to 63 letters, digits, -, _ or ., starting and ending with a letter or digit',
  [VERSION]: 'must be a semantic or calendar version: 1.2.3, 1.2.3-rc.1, 2026.12.1',
};
