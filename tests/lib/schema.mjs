// OpenAPI-schema validation of /v1 response bodies with ajv.
//
// The spec lives outside the repo at <repoRoot>/../shared/reference/openapi/spec.json
// (override with TRACEVAULT_OPENAPI_SPEC). When it is absent the validators are
// no-ops and SPEC_SKIP says why (tests that are only about the schema skip).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from './server.mjs';

const require = createRequire(import.meta.url);

export const SPEC_PATH = process.env.TRACEVAULT_OPENAPI_SPEC
  ? path.resolve(process.env.TRACEVAULT_OPENAPI_SPEC)
  : path.resolve(repoRoot, '..', 'shared/reference/openapi/spec.json');

const SPEC_ID = 'tracevault-openapi-spec';

/**
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes "or null". Done by
 * adding "null" to `type` (and to `enum` when present); for schemas without a
 * `type` (e.g. {$ref}, {allOf}, {anyOf}) it wraps them in anyOf [..., null].
 */
export function convertNullable(node) {
  if (Array.isArray(node)) return node.map(convertNullable);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // Don't recurse into literal values.
    if (k === 'enum' || k === 'example' || k === 'examples' || k === 'default' || k === 'const') out[k] = v;
    else out[k] = convertNullable(v);
  }
  // OpenAPI 3.0 (draft 4) booleans → the numeric form ajv (draft 7) wants.
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']]) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (Array.isArray(out.type)) {
      if (!out.type.includes('null')) out.type = [...out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      const keys = Object.keys(out).filter((k) => k !== 'description' && k !== 'title');
      if (keys.length === 0) return out; // {nullable:true} alone = anything
      const { description, title, ...rest } = out;
      const wrapped = { anyOf: [rest, { type: 'null' }] };
      if (description !== undefined) wrapped.description = description;
      return wrapped;
    }
  } else if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}

function loadValidator() {
  if (!fs.existsSync(SPEC_PATH)) {
    return { ajv: null, skip: `OpenAPI spec not found at ${SPEC_PATH}; schema validation skipped` };
  }
  const Ajv = require('ajv').default ?? require('ajv');
  const addFormats = require('ajv-formats').default ?? require('ajv-formats');
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
  addFormats(ajv);
  ajv.addSchema({ $id: SPEC_ID, components: convertNullable(spec.components) });
  return { ajv, skip: false, spec };
}

const loaded = loadValidator();
export const SPEC_SKIP = loaded.skip;
export const spec = loaded.spec ?? null;
const cache = new Map();

function compile(key, schemaFactory) {
  if (!loaded.ajv) return null;
  if (!cache.has(key)) cache.set(key, loaded.ajv.compile(schemaFactory()));
  return cache.get(key);
}

function ref(name) {
  if (!spec.components.schemas[name]) throw new Error(`no component schema ${name} in spec`);
  return { $ref: `${SPEC_ID}#/components/schemas/${name}` };
}

function fail(validate, what, data) {
  const errs = loaded.ajv.errorsText(validate.errors, { separator: '\n  ' });
  assert.fail(`${what} does not match the OpenAPI schema:\n  ${errs}\nbody: ${JSON.stringify(data).slice(0, 1500)}`);
}

/** Validates `data` against components.schemas[name]; no-op without the spec. */
export function assertSchema(name, data) {
  const v = compile(`obj:${name}`, () => ref(name));
  if (v && !v(data)) fail(v, name, data);
}

/** Validates a list body {objects:[<name>...]} (additionalProperties:false, as the spec's list responses). */
export function assertListSchema(name, data) {
  const v = compile(`list:${name}`, () => ({
    type: 'object',
    properties: { objects: { type: 'array', items: ref(name) } },
    required: ['objects'],
    additionalProperties: false,
  }));
  if (v && !v(data)) fail(v, `list of ${name}`, data);
}

/** Validates against the 200 response schema of spec.paths[path][method]. */
export function assertPathResponse(specPath, method, data) {
  if (!loaded.ajv) return;
  const op = spec.paths?.[specPath]?.[method.toLowerCase()];
  const schema = op?.responses?.['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`spec has no 200 JSON response for ${method} ${specPath}`);
  const v = compile(`path:${method}:${specPath}`, () => {
    // Re-root local refs into the registered spec document.
    const rerooted = JSON.parse(
      JSON.stringify(convertNullable(schema)).replaceAll('"#/components/', `"${SPEC_ID}#/components/`),
    );
    return rerooted;
  });
  if (!v(data)) fail(v, `${method.toUpperCase()} ${specPath} response`, data);
}

const V1_OBJECTS = { project: 'Project', experiment: 'Experiment', dataset: 'Dataset', organization: 'Organization', api_key: 'ApiKey' };

/**
 * Validates any 2xx JSON body of the /v1 object routes (called by lib/http.mjs
 * api() on every response): list → {objects:[Schema]}, create/get/patch/delete
 * → Schema. No-op for other paths, non-2xx, non-JSON, or without the spec.
 */
export function validateV1Response(method, pathname, status, json) {
  if (!loaded.ajv || status < 200 || status >= 300 || json === undefined) return;
  const m = /^\/v1\/(project|experiment|dataset|organization|api_key)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) return;
  const schema = V1_OBJECTS[m[1]];
  const what = `${method} ${pathname}`;
  try {
    if (m[2] === undefined) {
      if (method === 'GET') assertListSchema(schema, json);
      else if (method === 'POST' || method === 'PUT') assertSchema(schema, json);
    } else if (['GET', 'PATCH', 'DELETE'].includes(method)) {
      assertSchema(schema, json);
    }
  } catch (e) {
    e.message = `${what}: ${e.message}`;
    throw e;
  }
}
