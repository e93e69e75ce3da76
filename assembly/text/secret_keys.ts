// Which keys name a secret. Platform Audit's `entityPayload` is the body of
// an API call on a Sysdig entity, and for an integration that body holds its
// credentials (an access key, a token, a webhook secret). A key is secret
// when, lower-cased with everything but letters and digits dropped, it
// contains one of SECRET_PARTS: "accessKey", "secret_key", "X-Api-Key",
// "credentialsJson", "password" and "privateKeyId" all do. Erring towards
// redaction is deliberate: a hidden value is stated, a leaked one is not
// recoverable.

/** Fragments of normalized key names that mark a secret (README lists them). */
export const SECRET_PARTS: string[] = [
  "password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
  "privatekey", "credential", "authorization", "cookie", "keytab",
];

const MAX_KEY = 256;
const folded = new StaticArray<u8>(MAX_KEY);
const parts: Uint8Array[] = buildParts();

function buildParts(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < SECRET_PARTS.length; i++) {
    const s = SECRET_PARTS[i];
    const b = new Uint8Array(s.length);
    for (let k = 0; k < s.length; k++) b[k] = <u8>s.charCodeAt(k);
    out.push(b);
  }
  return out;
}

/** Whether the `len` UTF-8 bytes of a decoded key at `ptr` name a secret. */
export function isSecretKey(ptr: usize, len: i32): bool {
  let n = 0;
  for (let i = 0; i < len && n < MAX_KEY; i++) {
    let c = <i32>load<u8>(ptr + <usize>i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) unchecked(folded[n++] = <u8>c);
  }
  for (let j = 0; j < parts.length; j++) {
    const part = unchecked(parts[j]);
    const m = part.length;
    for (let at = 0; at + m <= n; at++) {
      let k = 0;
      while (k < m && unchecked(folded[at + k]) == unchecked(part[k])) k++;
      if (k == m) return true;
    }
  }
  return false;
}
