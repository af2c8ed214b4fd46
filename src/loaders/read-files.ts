// Reads FHIR content from files: JSON Bundles or resources (optionally .bz2) and NDJSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SUPPORTED = /\.(json|ndjson)(\.bz2)?$/;

/** Files named on the command line, folders expanded (sorted, so imports are repeatable). */
export function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      const names = fs.readdirSync(p).sort();
      out.push(...expandPaths(names.map((n) => path.join(p, n)).filter((f) => fs.statSync(f).isDirectory() || SUPPORTED.test(f))));
    } else out.push(p);
  }
  return out;
}

/** The file's text; bzip2 through the system's bzip2 when present (much faster), else a JS decoder. */
export async function readText(file: string): Promise<string> {
  if (!file.endsWith('.bz2')) return fs.promises.readFile(file, 'utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      const child = spawn('bzip2', ['-dc', file]);
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`bzip2 exited with ${code}`))));
    });
  } catch {
    const unbzip2 = (await import('unbzip2-stream')).default;
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(file).pipe(unbzip2()).on('data', (c: Buffer) => chunks.push(c)).on('end', resolve).on('error', reject);
    });
    return Buffer.concat(chunks).toString('utf8');
  }
}
