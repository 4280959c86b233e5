import { isCryptoError } from '../../crypto/index.js';
import { S3Error } from '../s3-errors.js';

/**
 * The one mapping of crypto/'s errors (crypto/errors.ts) to S3 errors. Anything that is not
 * a CryptoError passes through unchanged. Tampered data, a sealed key that does not open
 * and malformed stored values are 500 InternalError: the cause stays on the error for the
 * log, never in the response.
 */
export function sseCryptoError(err: unknown): unknown {
  if (!isCryptoError(err)) return err;
  switch (err.code) {
    case 'WrongCustomerKey':
      return new S3Error('AccessDenied', { cause: err });
    case 'KeyNotFound':
    case 'InvalidKeyName':
      return new S3Error('KMS.NotFoundException', { cause: err });
    case 'InvalidContext':
      return new S3Error('InvalidArgument', {
        message: 'The encryption context is not valid',
        cause: err,
        extra: { ArgumentName: 'x-amz-server-side-encryption-context', ArgumentValue: '' },
      });
    case 'Tampered':
    case 'KeyUnsealFailed':
    case 'InvalidFormat':
    case 'InvalidRange':
    case 'KeyExists':
    case 'InvalidRootSecret':
    case 'WrongRootSecret':
      return new S3Error('InternalError', { cause: err });
  }
}
