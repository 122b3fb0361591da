// Probe: the cost of the first `node:` import, nothing else.
import "node:net";
