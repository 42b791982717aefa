/** A snapshot path as a tar stream (pax format), file contents streamed chunk by chunk. */
import type { Repository } from '../../repo/repository.js';
import { fileBytes } from './file-bytes.js';
import { archiveEntries, type ByteSink, type DumpTop, type SkipReport } from './entries.js';
import { TAR_END, tarBodySize, tarCarries, tarHeader, tarPadding, type TarEntry } from './tar-header.js';

export async function writeTar(repo: Repository, top: DumpTop, sink: ByteSink, skipped: SkipReport): Promise<void> {
  // Further names of a file with several links become hardlink entries to the first name written.
  const firstNames = new Map<string, Buffer>();
  for await (const { path, node } of archiveEntries(repo, top)) {
    if (!tarCarries(node.type)) {
      skipped(path.toString(), `tar cannot hold a ${node.type}`);
      continue;
    }
    let entry: TarEntry = { path, node };
    if (node.type === 'file' && node.links > 1) {
      const key = `${node.device}:${node.inode}`;
      const first = firstNames.get(key);
      if (first) entry = { path, node, hardlinkTo: first };
      else firstNames.set(key, path);
    }
    await sink.write(tarHeader(entry));
    const size = tarBodySize(entry);
    if (size === 0) continue;
    for await (const chunk of fileBytes(repo, node, path.toString())) await sink.write(chunk);
    await sink.write(tarPadding(size));
  }
  await sink.write(TAR_END);
}
