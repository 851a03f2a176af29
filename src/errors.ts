// Exit codes are a contract (../shared/spec/contracts.md): other tools branch on them.
export const ExitCode = {
  ok: 0,
  wrongResults: 1,
  badInput: 2,
  fault: 3,
} as const;

/** An error meant for the user: printed as one line, no stack trace, with a documented exit code. */
export class DeeployError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or a bad input file (exit 2). The message names the file and what is wrong. */
export class InputError extends DeeployError {
  constructor(message: string) {
    super(message, ExitCode.badInput);
  }
}

/** The simulated program faulted: trap, illegal instruction, bad access, limit reached (exit 3). */
export class FaultError extends DeeployError {
  constructor(message: string) {
    super(message, ExitCode.fault);
  }
}

/** Results differ from the golden outputs (exit 1). */
export class MismatchError extends DeeployError {
  constructor(message: string) {
    super(message, ExitCode.wrongResults);
  }
}
