export { type AuthType, authType } from './auth-type.js';
export { type AuthenticateOptions, authenticate, parsePayloadMode } from './authenticate.js';
export { SigningKeyCache, signingKey } from './signing-key.js';
export {
  chunkStringToSign,
  EMPTY_SHA256_HEX,
  hmacHex,
  sha256Hex,
  signaturesEqual,
  trailerStringToSign,
} from './string-to-sign.js';
export * from './types.js';
