#!/usr/bin/env node
// The Flux CLI plugin: flux 2.9 runs `flux-<name>` from its plugin directory as `flux <name>`, so
// `flux ocipack push …` runs this, the same program as `ocipack` under the name its help shows.
globalThis.__ocipackProgramName = 'flux ocipack';
await import('./ocipack.js');
