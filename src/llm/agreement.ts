// The int8 quality gate: teacher-forced top-1 agreement with the float model over a token sequence
// (normally the float model's own greedy story): at each position both engines see the same
// prefix; count the positions where their argmax agrees.
import type { StepEngine } from './float.js';
import { argmax } from './sample.js';

export interface Agreement {
  agree: number;
  total: number;
  rate: number;
}

export function teacherForcedAgreement(reference: StepEngine, candidate: StepEngine, tokens: number[]): Agreement {
  reference.reset();
  candidate.reset();
  let agree = 0;
  const total = tokens.length - 1;
  for (let pos = 0; pos < total; pos++) {
    const a = argmax(reference.step(tokens[pos]!, pos));
    const b = argmax(candidate.step(tokens[pos]!, pos));
    if (a === b) agree++;
  }
  return { agree, total, rate: agree / total };
}
