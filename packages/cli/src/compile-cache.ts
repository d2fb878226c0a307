import module from 'node:module';

/** `module.enableCompileCache` exists from Node 22.8 on; @types/node 20 does not declare it. */
type EnableCompileCache = (directory?: string) => unknown;

/**
 * Turns on Node's on-disk V8 code cache for the modules loaded after this call, so later starts skip
 * compiling the CLI (commander included). On Node 20 the function does not exist and this does nothing.
 * No directory is passed: Node then uses NODE_COMPILE_CACHE when set, else `<os tmpdir>/node-compile-cache`.
 */
export function enableCompileCache(): void {
  const enable = (module as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function') return;
  try {
    // Documented not to throw (it reports failures in its result); a cache is never worth a crash.
    enable();
  } catch {
    // Start without the cache.
  }
}
