// `tsx bench/search/explain-cli.ts` with DATABASE_URL of a loaded database: prints each query's scans.
import { loadConfig } from '../../src/config';
import { openHub } from '../../src/hub';
import { explainCases } from './explain';
import { pickSearchCases } from './queries';

(async () => {
  const hub = await openHub(loadConfig());
  try {
    const cases = await pickSearchCases(hub.ctx.db);
    for (const p of await explainCases(hub.ctx, cases)) console.log(`${p.usesIndex ? 'index' : 'NO INDEX'}  ${p.label}\n    ${p.scans.join('\n    ')}`);
  } finally {
    await hub.close();
  }
})();
