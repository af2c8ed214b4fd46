// Writes the documents benchmark's figures (issue 7) into docs/performance.md between its own markers.
import { writeMarkedSection } from '../lib/markers';
import { machine } from '../lib/report';

export interface EngineFigures {
  engine: string;
  /** 'fresh' (right after the import) or 'analyzed' (after VACUUM ANALYZE). */
  phase: string;
  /** The machine's 1-minute load average when the phase ended (2 cores: above 2, others were queueing too). */
  load: number;
  storage: string;
  /** Resources in the patient's compartment ($everything total) and in the whole database. */
  compartment: number;
  databaseResources: number;
  summary: { calls: number; p50: number; p95: number; min: number; max: number; entries: number; bytes: number };
  everything: { walks: number; pageSize: number; resources: number; pages: number; seconds: number[]; perSecond: number };
}

export interface DocumentsReport {
  date: Date;
  argv: string;
  postgres: { version: string; settings: string };
  dataset: string;
  engines: EngineFigures[];
  notes: string[];
}

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const n0 = (x: number) => Math.round(x).toLocaleString('en-US').replace(/,/g, ' ');

export function renderDocumentsReport(r: DocumentsReport): string {
  const lines = [
    `### Documents: \`$summary\` and \`$everything\` (issue 7) — ${r.date.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    ...machine(r.postgres),
    `- Data: ${r.dataset}`,
    `- Command: \`${r.argv}\``,
    '',
    '| Engine, statistics | patient (compartment) | `$summary`: median | p95 | min–max | target median ≤ 200 ms | document | `$everything` (all pages) | load avg |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const e of r.engines) {
    const s = e.summary;
    const ev = e.everything;
    lines.push(
      `| ${e.phase} | ${n0(e.compartment)} resources (database ${n0(e.databaseResources)}) | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.min)}–${ms(s.max)} | ${s.p50 <= 200 ? '**met**' : '**missed**'} | ${n0(s.entries)} entries, ${n0(s.bytes / 1024)} KiB, ${s.calls} sequential calls | ${n0(ev.perSecond)} resources/s (${n0(ev.resources)} resources in ${ev.pages} pages of ${ev.pageSize}; best of ${ev.walks} walks: ${ev.seconds.map((x) => x.toFixed(2)).join(' / ')} s) | ${e.load.toFixed(1)} |`,
    );
  }
  lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

export function writeDocumentsReport(text: string): void {
  writeMarkedSection('bench-documents', 'Documents', text);
}
