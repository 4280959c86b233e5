/**
 * A mistake in the command line or the configuration: the message is printed as is (no stack)
 * and the process exits with code 2.
 */
export class UsageError extends Error {
  readonly code = 'UsageError';
  readonly exitCode = 2;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
