// Cleanup that must happen however the benchmark ends: normal end, error, Ctrl-C.
type Cleanup = () => Promise<void> | void;
const pending = new Set<Cleanup>();

/** Registers fn; the returned function runs it once and unregisters it. */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  pending.add(fn);
  return async () => {
    if (!pending.delete(fn)) return;
    await fn();
  };
}

/** Runs every pending cleanup, newest first, within timeoutMs overall. */
export async function cleanupAll(timeoutMs = 20_000): Promise<void> {
  const fns = [...pending].reverse();
  pending.clear();
  const all = (async () => {
    for (const fn of fns) await Promise.resolve(fn()).catch((err) => console.error('cleanup failed:', err));
  })();
  await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
