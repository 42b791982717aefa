/** The narrow sealing interface the CAS consumes; the crypto layer implements it (FORMAT §3). */

export interface Sealer {
  /** Encrypts and authenticates `plain`, binding `aad`; returns nonce ‖ ciphertext ‖ tag. */
  seal(plain: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Inverse of seal; throws (RozenError CorruptData) when any byte or the aad differs. */
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}
