// Registers every primitive's derivative rules (import for side effects).
import './elementwise.js';
import './reduce.js';
import './shape.js';
import './matmul.js';
import './indexing.js';
import './softmax.js';
import './activation.js';
import './conv.js';
