/** Parses repository URLs (a path, s3://bucket/prefix, memory://name) and opens the matching backend. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../core/errors.js';
import type { Backend } from './backend.js';
import { LocalBackend } from './local.js';
import { namedMemoryBackend } from './memory.js';

export type RepoUrl =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'memory'; readonly name: string };

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A path is resolved against `cwd` (default process.cwd()). */
export function parseRepoUrl(url: string, cwd: string = process.cwd()): RepoUrl {
  if (url === '') throw invalidArgument('repository location is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: resolve(cwd, url) };
  const rest = url.slice(scheme.length + 3);
  switch (scheme) {
    case 's3':
      return parseS3(rest, url);
    case 'memory':
      if (rest === '') throw invalidArgument(`memory repository needs a name: ${url}`);
      return { kind: 'memory', name: rest };
    case 'file':
      return { kind: 'local', path: fileURLToPath(url) };
    default:
      throw invalidArgument(`unsupported repository scheme "${scheme}://" in ${url} (use a path or s3://bucket/prefix)`);
  }
}

function parseS3(rest: string, url: string): RepoUrl {
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw invalidArgument(`invalid S3 bucket name "${bucket}" in ${url} (3-63 characters: a-z, 0-9, '.', '-')`);
  }
  if (prefix.split('/').some((seg) => seg === '.' || seg === '..') || prefix.includes('//')) {
    throw invalidArgument(`invalid S3 key prefix "${prefix}" in ${url}`);
  }
  return { kind: 's3', bucket, prefix };
}

/** Opens the backend behind a repository URL; S3 settings come from the standard AWS environment. */
export async function openBackend(url: string): Promise<Backend> {
  const parsed = parseRepoUrl(url);
  switch (parsed.kind) {
    case 'local':
      return new LocalBackend(parsed.path);
    case 's3': {
      // The AWS SDK takes most of a second to load: only when an S3 repository is used.
      const { S3Backend } = await import('./s3.js');
      return new S3Backend({ bucket: parsed.bucket, prefix: parsed.prefix });
    }
    case 'memory':
      return namedMemoryBackend(parsed.name);
  }
}
