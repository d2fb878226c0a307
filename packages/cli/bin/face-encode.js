#!/usr/bin/env node
// Committed (unlike dist/), so package managers can link the bin on a fresh install before a build.
import '../dist/bin.js';
