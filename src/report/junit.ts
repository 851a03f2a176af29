// JUnit XML for CI systems: one <testcase> per case (its cycles as a property and in system-out),
// a <failure> with the first mismatching output element when a case fails.
import type { CaseSummary } from '../sweep/tasks.js';

const xml = (s: string | number) =>
  String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 has no place for most control characters
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function junitXml(suite: string, cases: CaseSummary[]): string {
  const failures = cases.filter((c) => !c.passed).length;
  const total = cases.reduce((s, c) => s + c.seconds, 0);
  const body = cases.map((c) => {
    const props = `<properties><property name="cycles" value="${c.cycles ?? 0}"/></properties>`;
    const out = `<system-out>${xml(`${c.cycles ?? 0} cycles`)}</system-out>`;
    let failure = '';
    if (!c.passed) {
      const m = c.firstMismatch;
      const first = m ? `first mismatch: output ${m.output}[${m.index}] expected ${m.expected} got ${m.got}` : (c.reason ?? 'failed');
      failure = `<failure message="${xml(first)}" type="${m ? 'mismatch' : 'error'}">${xml(c.reason ?? first)}</failure>`;
    }
    return `  <testcase classname="${xml(suite)}" name="${xml(c.name)}" time="${c.seconds.toFixed(3)}">${props}${failure}${out}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${xml(suite)}" tests="${cases.length}" failures="${failures}" time="${total.toFixed(3)}">
 <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}">
${body.join('\n')}
 </testsuite>
</testsuites>
`;
}
