// Registers every operator mapping (import for the side effect). One file per operator family.
import './llm.js'; // first: its mappings decline what the general ones below take
import './linear.js';
import './elementwise.js';
import './layout.js';
import './misc.js';
import './quant-ext.js'; // the quantized vocabulary (IntegerDiv, ITAPartialMax, iNoNorm, pools, wide requant)
