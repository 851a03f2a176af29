// Registers every operator mapping (import for the side effect). One file per operator family.
import './linear.js';
import './elementwise.js';
import './layout.js';
import './misc.js';
import './llm.js';
