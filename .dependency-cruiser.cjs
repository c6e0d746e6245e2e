/**
 * The import rules of DESIGN.md, checked by dependency-cruiser in `npm test` (test/unit/architecture).
 * Each room may import only the rooms listed for it; src/index.ts only what src/cli/ may; the registry
 * session is private to connect/; use-cases never import each other; no cycles; the terminal libraries
 * stay in the face.
 */
const ALLOWED = {
  // the GitHub Action is a second face: the CLI's program run in-process (src/action/main.ts)
  action: ['cli', 'usecases', 'core', 'oci'],
  cli: ['usecases', 'core', 'oci'],
  usecases: ['connect', 'content', 'artifact', 'signing', 'oci', 'credentials', 'core'],
  connect: ['content', 'registry', 'auth', 'credentials', 'http', 'oci', 'core'],
  registry: ['content', 'auth', 'http', 'oci', 'core'],
  auth: ['http', 'oci', 'core'],
  credentials: ['http', 'oci', 'core'],
  signing: ['content', 'oci', 'core'],
  content: ['oci', 'core'],
  artifact: ['oci', 'core'],
  http: ['core'],
  oci: ['core'],
  core: [],
};

const roomRules = Object.entries(ALLOWED).map(([room, may]) => ({
  name: `${room}-imports`,
  comment: `src/${room}/ may import only ${[room, ...may].join(', ')}`,
  severity: 'error',
  from: { path: `^src/${room}/` },
  to: { path: '^src/', pathNot: [`^src/(${[room, ...may].join('|')})/`] },
}));

module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: 'index-imports',
      comment: 'src/index.ts is the library face: like src/cli/ it may import only usecases, core and oci (types of other rooms reach it through the use-cases)',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(usecases|core|oci)/' },
    },
    {
      name: 'session-private-to-connect',
      comment: 'the registry session is made by connect() only: everything outside src/connect/ goes through connect.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/connect/' },
      to: { path: '^src/connect/session\\.ts$' },
    },
    {
      name: 'no-sibling-use-case',
      comment: 'a use-case never imports another use-case: shared parts live in the rooms below',
      severity: 'error',
      from: { path: '^src/usecases/([^/]+)\\.ts$' },
      to: { path: '^src/usecases/', pathNot: '^src/usecases/$1\\.ts$' },
    },
    {
      name: 'no-cycle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'terminal-libraries-in-the-face',
      comment: 'only the faces (src/cli/, and src/action/ through it) talk to the terminal',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|action)/' },
      to: { path: 'node_modules/(chalk|ora|commander)/' },
    },
    {
      name: 'nothing-imports-the-face',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|action)/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    includeOnly: '^(src|node_modules)/',
  },
};
