/**
 * Copies text to the clipboard; false when the platform refuses (the operator then selects and
 * copies by hand: the secret and the codes are selectable as a whole).
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A secret in groups of four for reading and typing (`JBSW Y3DP EHPK 3PXP`); authenticator apps ignore the spaces. */
export function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}
