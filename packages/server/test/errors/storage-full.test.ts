import { describe, expect, it } from 'vitest';
import { isStorageFull } from '../../src/errors/storage-full.js';
import { toApiError } from '../../src/http/problem.js';

const coded = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });

describe('isStorageFull', () => {
  it('knows the OS, SQLite, PostgreSQL and S3 ways of saying no space, also as a cause', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100'])
      expect(isStorageFull(coded(code))).toBe(true);
    expect(isStorageFull(Object.assign(new Error('quota'), { name: 'QuotaExceeded' }))).toBe(true);
    expect(isStorageFull(new Error('wrapped', { cause: coded('ENOSPC') }))).toBe(true);
    expect(isStorageFull(coded('EACCES'))).toBe(false);
    expect(isStorageFull(null)).toBe(false);
  });

  it('renders as 507 storage_full', () => {
    expect(toApiError(coded('SQLITE_FULL'))).toMatchObject({ code: 'storage_full', status: 507 });
  });
});
