// The Synthea test bundles, decompressed into memory before any timing starts.
import { expandPaths, readText } from '../../src/loaders/read-files';

export interface BundleText {
  file: string;
  text: string;
  /** Entries that carry a resource (what an import stores). */
  resources: number;
}

export async function loadBundles(dir: string, limit = Infinity): Promise<BundleText[]> {
  const files = expandPaths([dir]).slice(0, limit);
  const out: BundleText[] = new Array(files.length);
  // bzip2 runs in child processes; a few at a time keeps both cores busy.
  for (let i = 0; i < files.length; i += 4) {
    await Promise.all(
      files.slice(i, i + 4).map(async (file, j) => {
        const text = await readText(file);
        const bundle = JSON.parse(text) as { entry?: { resource?: unknown }[] };
        out[i + j] = { file, text, resources: (bundle.entry ?? []).filter((e) => e.resource).length };
      }),
    );
  }
  return out;
}
