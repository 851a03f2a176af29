// Exit codes are a contract (../shared/spec/contracts.md): other tools branch on them.
export const ExitCode = {
  ok: 0,
  wrongResults: 1,
  badInput: 2,
  fault: 3,
} as const;

/**
 * Control characters as visible escapes: names from a file (a node called `x\n#include ...`)
 * cannot break a message into several lines or drive the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** An error meant for the user: printed as one line, no stack trace, with a documented exit code. */
export class DeeployError extends Error {
  constructor(message: string, readonly exitCode: number, opts: { multiline?: boolean } = {}) {
    super(opts.multiline ? message : oneLine(message));
    this.name = new.target.name;
  }
}

/**
 * Bad usage or a bad input file (exit 2). The message names the file and what is wrong, on one
 * line; `multiline` only for quoted tool output (gcc's diagnostics of a program's own C).
 */
export class InputError extends DeeployError {
  constructor(message: string, opts: { multiline?: boolean } = {}) {
    super(message, ExitCode.badInput, opts);
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
