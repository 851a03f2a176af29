// `npm run bench [names...]` (= `deeploy-sim bench [names...]`).
import { runBenchmarks } from './suite.js';

await runBenchmarks(process.argv.slice(2));
