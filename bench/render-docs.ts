/** Re-renders the measured section of docs/benchmarks.md from .bench/suite.json (no measuring). */
import { readFileSync } from 'node:fs';
import { updateDocs } from './lib/docs.js';

updateDocs(JSON.parse(readFileSync('.bench/suite.json', 'utf8')) as Record<string, unknown>);
