import { existsSync } from 'node:fs';
import path from 'node:path';

/** The nearest folder at or above `from` that holds a package.json: this package's root, whether code runs from src/ or dist/. */
export function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}
