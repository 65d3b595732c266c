/** InputError is a problem in what the user gave (a .proto, a method name, JSON, bytes): one line, no stack trace, exit 2. */
export class InputError extends Error {
  /** constructor sets the message. */
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** isInputError tells input errors apart, also those of lazily loaded modules that declare their own class of that name. */
export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || (e instanceof Error && e.name === 'InputError');
}
