/** The keyless-signing flags sign, attest and push share: typed and handed to the use-case in one place (each command words its own help). */
/** The five keyless service flags as commander parses them (the library's option names). */
export interface KeylessFlags {
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  timestampServerUrl?: string;
  signingConfig?: string;
}

/** Their names, in the order the commands list them. */
export const KEYLESS_FLAGS = ['identityToken', 'fulcioUrl', 'rekorUrl', 'timestampServerUrl', 'signingConfig'] as const;

/** The keyless flags that were given, for the use-case's options; `given` is told each one (push checks --sign-keyless). */
export function keylessFields(flags: KeylessFlags, given?: (flag: (typeof KEYLESS_FLAGS)[number]) => void): KeylessFlags {
  const out: KeylessFlags = {};
  for (const f of KEYLESS_FLAGS) {
    if (flags[f] === undefined) continue;
    given?.(f);
    out[f] = flags[f];
  }
  return out;
}
