/**
 * The error every persistence decoder throws on bad input: what is wrong and, for files, the byte
 * offset where it was found (Redis's rdbReportCorruptRDB). Callers turn it into a load failure
 * ("Internal error in RDB reading offset N ...") or, for RESTORE, "ERR Bad data format".
 */
export class RdbError extends Error {
  /** What a decoder found, when the message is Redis's more general text for it. */
  detail = '';
  constructor(
    message: string,
    public offset = -1,
  ) {
    super(message);
  }
}

export function corrupt(what: string, offset = -1): never {
  throw new RdbError(what, offset);
}
