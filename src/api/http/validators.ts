import AjvCompiler, { type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

/** Every error at once (a 400 names each field), and nothing dropped silently: an unknown field is an error. */
const AJV = { allErrors: true, removeAdditional: false } as const;

/** Ajv instances by schemas and options, made once (as Fastify's default does). */
const pool = AjvCompiler();

/** What Fastify hands a validator compiler (the package's types give it the schema alone). */
type CompileRoute = (route: { schema: unknown; method: string; url: string; httpPart?: string }) => unknown;

/**
 * Ajv's validators, two ways: a JSON body keeps its types (`"3"` is not an integer, `["fail"]` not
 * a string: what the schema says is what is taken), while a path, a query string and headers are
 * text, coerced to the schema's types (`?pageSize=10`, `?ring=a` as an array). Fastify's default
 * coerces everything alike, so bodies its schemas forbid were taken.
 */
export const schemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    // The only Ajv options: Fastify's `ajv` option (plugins) is not used here.
    buildValidator: ((externalSchemas: Parameters<BuildCompilerFromPool>[0]) => {
      const text = pool(externalSchemas, { customOptions: { ...AJV, coerceTypes: 'array' } }) as unknown as CompileRoute;
      const json = pool(externalSchemas, { customOptions: { ...AJV, coerceTypes: false } }) as unknown as CompileRoute;
      const compile: CompileRoute = (route) => (route.httpPart === 'body' ? json : text)(route);
      return compile;
    }) as unknown as BuildCompilerFromPool,
  },
};
