import { rename, writeFile } from 'node:fs/promises';

/** Written to a temporary name then renamed, so a reader never sees half a file. */
export async function writeJsonFile(file: string, data: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, file);
}
