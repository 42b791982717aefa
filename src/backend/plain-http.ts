/** A one-line warning, once per process, when an S3 endpoint is reached over plain http://. */

let warned = false;

/** `endpoint` without user info or path, for a warning line. */
function origin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return 'http://…';
  }
}

/** Warns (as a process warning, which the CLI prints as one line) unless `endpoint` is https or unset. */
export function warnIfPlainHttp(endpoint: string | undefined, emit: (message: string) => void = (m) => process.emitWarning(m)): void {
  if (warned || endpoint === undefined || !/^http:\/\//i.test(endpoint)) return;
  warned = true;
  emit(
    `S3 endpoint ${origin(endpoint)} is plain http: object names, sizes and signed requests can be read, replayed or blocked on the way; use https://`,
  );
}
