/** Codes that mean "no space left": the OS, SQLite, PostgreSQL (disk_full) and S3 quotas. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100', 'QuotaExceeded']);

/** Whether `error` (or any error in its `cause` chain) says the storage is out of space. */
export function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const { code, name, cause } = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (FULL.has(String(code)) || FULL.has(String(name))) return true;
    e = cause;
  }
  return false;
}
