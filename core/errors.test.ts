import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isPipelineError, PipelineError } from './errors.js';

describe('error codes', () => {
  it('are stable identifiers with a prefix per area and a description', () => {
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^(CFG|ING|SINK|SPOOL|ALR|HP|DSH)_[A-Z0-9_]+$/);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it('every prefix family is documented in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    const families = new Set(Object.keys(ERROR_CODES).map((c) => c.split('_')[0]));
    for (const family of families) expect(readme).toContain(`${family}_`);
  });

  it('carry their code through isPipelineError', () => {
    const err = new PipelineError('SPOOL_WRITE_FAILED', 'disk');
    expect(isPipelineError(err, 'SPOOL_WRITE_FAILED')).toBe(true);
    expect(isPipelineError(err, 'SPOOL_FULL')).toBe(false);
    expect(isPipelineError(new Error('x'))).toBe(false);
  });
});
