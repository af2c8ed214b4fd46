// `fhir-hub reindex [types...]`: rebuilds search indexes in locked batches while the hub keeps serving.
import { MultiBar, Presets } from 'cli-progress';
import type { HubContext } from '../fhir/hub-context';
import { reindex } from '../fhir/reindex';

export async function runReindex(ctx: HubContext, types: string[], progress: boolean): Promise<number> {
  const started = Date.now();
  const bars = progress && process.stderr.isTTY ? new MultiBar({ format: '{type} [{bar}] {value}/{total}' }, Presets.shades_classic) : undefined;
  let bar: ReturnType<MultiBar['create']> | undefined;
  let current = '';
  const count = await reindex(ctx, types, (p) => {
    if (!bars) {
      if (p.done === p.total) console.log(`${p.type}: ${p.done} resources reindexed`);
      return;
    }
    if (p.type !== current) {
      current = p.type;
      bar = bars.create(p.total, p.done, { type: p.type.padEnd(28) });
    }
    bar?.setTotal(p.total);
    bar?.update(p.done);
  });
  bars?.stop();
  console.log(`reindexed ${count} resources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
