// Preloaded (NODE_OPTIONS=--require) by scripts/test-node-versions.mjs: loads better-sqlite3's addon
// from FACE_ENCODE_SQLITE_ADDON, built for the Node that runs, instead of the checkout's own build
// (compiled for the Node that installed it), so the worktree is never rebuilt.
const Module = process.getBuiltinModule('node:module');
const addon = process.env.FACE_ENCODE_SQLITE_ADDON;
const load = Module._extensions['.node'];
if (addon) {
  Module._extensions['.node'] = function (module, filename) {
    return load.call(this, module, filename.endsWith('/better_sqlite3.node') ? addon : filename);
  };
}
