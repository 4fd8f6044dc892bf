// Test-only helpers for lib/data's tests.
import { expect } from 'vitest';
import { DataError } from './errors';

/** The DataError a promise rejects with (fails the test if it resolves or rejects with anything else). */
export async function errorOf(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}
