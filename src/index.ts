/** The ocipack library: the same use-cases as the CLI, typed, silent (progress through `onEvent`). */
export { push, type PushOptions, type PushResult } from './usecases/push.js';
export { pull, type PullOptions, type PullResult } from './usecases/pull.js';
export { tag, PartialTagError, type TagOptions, type TagResult } from './usecases/tag.js';
export { list, type ListOptions, type ListEntry } from './usecases/list.js';
export { diff, type DiffOptions, type DiffResult, type DiffChange, type DiffStatus, type DiffArtifact, type ObjectChange, type ObjectStatus } from './usecases/diff.js';
export { build, type BuildOptions, type BuildResult } from './usecases/build.js';
export { inspect, type InspectOptions, type InspectResult, type DescriptorSummary } from './usecases/inspect.js';
export { verify, type VerifyOptions, type VerifyResult } from './usecases/verify.js';
export { sign, type SignOptions, type SignResult } from './usecases/sign.js';
export { attest, type AttestOptions, type AttestResult } from './usecases/attest.js';
export { generateKeyPair, type GenerateKeyPairOptions, type GenerateKeyPairResult } from './usecases/keys.js';
export { pushChart, type PushChartOptions, type PushChartResult } from './usecases/push-chart.js';
export { copy, type CopyOptions, type CopyResult } from './usecases/copy.js';
export { mirror, type MirrorOptions, type MirrorResult, type MirrorRecord, type MirrorStatus } from './usecases/mirror.js';
export { promote, PromotionRefusedError, type PromoteOptions, type PromoteResult, type PromoteVerification } from './usecases/promote.js';
/** `delete` is a reserved word for declarations, not for export names: `import { deleteArtifact }` or `lib.delete(…)`. */
export { deleteArtifact, deleteArtifact as delete, type DeleteOptions, type DeleteResult } from './usecases/delete.js';
export { prune, type PruneOptions, type PruneResult, type KeptTag, type PlannedDeletion, type AttachedManifest, type PrunePlan } from './usecases/prune.js';
export type { ChartInfo } from './usecases/inspect.js';
export { login, logout, type LoginOptions, type LoginResult, type LogoutOptions, type LogoutResult } from './usecases/login.js';
export type { SignatureVerdict } from './usecases/verify.js';
export { CredentialsRejectedError, OcipackError, RegistryError, type ErrorCode } from './core/errors.js';
export type { CredentialSource } from './core/credential.js';
export type { ProgressEvent, OnEvent } from './core/events.js';
export type { CommonOptions, ReadCaps, RegistryOptions, RunOptions, TargetCaps } from './core/options.js';
export { parseReference, type Reference } from './oci/reference.js';
