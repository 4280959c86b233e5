export { readBody, type RequestBody } from './read-body.js';
export { type BodyDigests, BodyVerifier, type BodyVerifierOptions } from './body-verifier.js';
export {
  AwsChunkedDecoder,
  type AwsChunkedDecoderOptions,
  type ChunkSigning,
  canonicalTrailer,
  DEFAULT_MAX_CHUNK_SIZE_BYTES,
  MAX_CHUNK_HEADER_BYTES,
  MAX_TRAILER_BYTES,
} from './aws-chunked-decoder.js';
export { awsChunkedEncode, type AwsChunkedEncodeOptions } from './aws-chunked-encode.js';
